import { runMain } from '@x0/service-kit';
import { planService } from '@x0/plan-service';

runMain(planService);
