import { runMain } from '@x0/service-kit';
import { executeService } from '@x0/execute-service';

runMain(executeService);
