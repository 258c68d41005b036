import { runMain } from '@x0/service-kit';
import { trainerService } from '@x0/trainer-service';

runMain(trainerService);
