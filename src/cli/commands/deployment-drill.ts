// `bbr-ts deployment ... drill -a DIR --verify CMD [--verify-on GROUP/INDEX]`: restore, then prove the data is back.
import { IDENTITY_OPTIONS, identityOption } from '../encryption-options.js';
import { combineOptions, declareOptions, defineOptions, pickOptions, positiveSeconds, readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { reportOption } from '../output-options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { STORAGE_OPTIONS, storageOptions } from '../storage-options.js';
import { drillWorkflow } from '../workflows.js';
import { RESTORE_OPTIONS } from './deployment-restore.js';
import type { Subcommand } from './types.js';

const DRILL_OPTIONS = defineOptions({
  ...RESTORE_OPTIONS,
  verify: { flag: 'verify', type: 'string', required: true, describe: 'shell command (sh -c) that exits 0 when the restored data is right' },
  verifyOn: {
    flag: 'verify-on',
    type: 'string',
    describe: 'run --verify on this instance (GROUP/INDEX, as root) instead of on this machine',
    validate: (on: string) => (/^[^/\s]+\/\d+$/.test(on) ? undefined : `--verify-on ${on}: expected GROUP/INDEX, e.g. db/0`),
  },
  verifyTimeoutSeconds: { flag: 'verify-timeout', type: 'number', describe: 'seconds the verification command may run (default: no limit)', validate: positiveSeconds },
});

const OPTIONS = combineOptions(DEPLOYMENT_MODE_OPTIONS, STORAGE_OPTIONS, IDENTITY_OPTIONS, DRILL_OPTIONS);

export const deploymentDrill: Subcommand = (y, choose) =>
  y.command(
    'drill',
    'Restore a backup into a (scratch) deployment, then run a verification command; reports pass or fail with the time to restore',
    (sub) =>
      declareOptions(identityOption(storageOptions(reportOption(sub))), DRILL_OPTIONS).example(
        `$0 deployment ${EXAMPLE_FLAGS} drill -a /var/backups/films_20240501T100001Z --verify "psql -Atc 'SELECT 1 FROM films' | grep -q 1" --verify-on db/0`,
        'restore the backup, then check on db/0 that the films table has rows',
      ),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, OPTIONS);
        const timeout = options.verifyTimeoutSeconds;
        const workflow = drillWorkflow({
          artifactPath: options.artifactPath,
          storage: pickOptions(options, STORAGE_OPTIONS),
          identity: options.identity,
          verify: options.verify,
          verifyOn: options.verifyOn,
          verifyTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
        });
        return runDeploymentOperation(runtime, deploymentFlags(options), 'drill', workflow);
      }),
  );
