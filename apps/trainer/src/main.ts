import { runMain } from '@x0/service-kit';
import { createTrainerService } from '@x0/trainer-service';

runMain(createTrainerService());
