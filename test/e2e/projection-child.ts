/**
 * The projection runner as its own process, for the kill -9 test
 * (projection-kill.test.ts): `node --import tsx test/e2e/projection-child.ts
 * <store url> <read-models url> [batch size] [follow]`. Stands in for `mm project`
 * until main.ts wires that command; same function, same exit codes.
 */
import { projectCommand } from '../../src/cli/commands/project-command.js';
import { describeFailure } from '../../src/cli/errors.js';

const [store, readModels, batchSize, follow] = process.argv.slice(2);
if (store === undefined || readModels === undefined) {
  process.stderr.write('usage: projection-child.ts <store url> <read-models url> [batch size] [follow]\n');
  process.exit(2);
}
try {
  await projectCommand({ store, readModels, follow: follow === 'follow', ...(batchSize === undefined ? {} : { batchSize }) });
} catch (error) {
  const failure = describeFailure(error);
  process.stderr.write(`mm: error: ${failure.message}\n`);
  process.exitCode = failure.code;
}
