import { runMain } from '@x0/service-kit';
import { createAnalyzeService } from '@x0/analyze-service';

runMain(createAnalyzeService());
