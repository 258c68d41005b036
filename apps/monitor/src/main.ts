import { runMain } from '@x0/service-kit';
import { monitorService } from '@x0/monitor-service';

runMain(monitorService);
