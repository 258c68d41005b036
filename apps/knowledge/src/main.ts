import { runMain } from '@x0/service-kit';
import { knowledgeService } from '@x0/knowledge-service';

runMain(knowledgeService);
