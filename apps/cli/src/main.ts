import { Command } from 'commander';
import { registerComponent } from './commands/component';
import { registerDemo } from './commands/demo';
import { registerDetect } from './commands/detect';
import { registerDlq } from './commands/dlq';
import { registerEvents } from './commands/events';
import { reportFailure } from './commands/failure';
import { registerIncidents, registerKnowledge } from './commands/knowledge';
import { registerLabel } from './commands/label';
import { registerModels } from './commands/models';
import { registerPlanExecute } from './commands/plan-execute';
import { registerPublish } from './commands/publish';
import { registerStats, registerStatus } from './commands/status';
import { registerTrain } from './commands/train';

// `x0 events --json | head`: once the reader has gone, there is nobody left to tell anything;
// stop quietly, as Unix tools do, instead of an unhandled EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('x0')
  .description('x0tta6bl4: autonomic operations over NATS — watch, diagnose, act, verify, learn')
  .version('0.1.0')
  .showHelpAfterError()
  // Commander's own parse errors (unknown command or option, missing argument) are usage
  // errors: exit 2, as for every other bad argument; help and --version still exit 0.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

registerStatus(program);
registerStats(program);
registerComponent(program);
registerEvents(program);
registerDlq(program);
registerPublish(program);
registerDemo(program);
registerDetect(program);
registerModels(program);
registerLabel(program);
registerTrain(program);
registerPlanExecute(program);
registerKnowledge(program);
registerIncidents(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  reportFailure(err);
  process.exit();
});
