// `bbr-ts deployment --target ... remove-ssh-user --user bosh_...`: removes a temporary SSH user that a run
// could not remove (the director was unreachable at the end, or the run was abandoned). --target only.
import { UsageError } from '../../errors.js';
import { reportFailures } from '../exit.js';
import { combineOptions, declareOptions, readOptions } from '../option-table.js';
import { DEPLOYMENT_MODE_OPTIONS, deploymentFlags, REMOVE_SSH_USER_OPTIONS } from '../options.js';
import { directorSource, gatewayFor, type DeploymentFlags } from '../run-deployment.js';
import type { Runtime } from '../runtime.js';
import type { Subcommand } from './types.js';

const OPTIONS = combineOptions(DEPLOYMENT_MODE_OPTIONS, REMOVE_SSH_USER_OPTIONS);

export const deploymentRemoveSshUser: Subcommand = (y, choose) =>
  y.command(
    'remove-ssh-user',
    'With --target: remove a temporary SSH user (bosh_...) that an earlier run could not remove, from every instance',
    (sub) => declareOptions(sub, REMOVE_SSH_USER_OPTIONS),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, OPTIONS);
        return removeSshUser(runtime, options.user, deploymentFlags(options));
      }),
  );

async function removeSshUser(runtime: Runtime, user: string, flags: DeploymentFlags): Promise<number> {
  const gateway = flags.gateway === undefined ? undefined : gatewayFor(flags.gateway, flags);
  try {
    if (!flags.director) throw new UsageError('remove-ssh-user needs --target: only the director sets up temporary users');
    if (flags.allDeployments) throw new UsageError('remove-ssh-user works on one --deployment, not --all-deployments');
    const source = await directorSource(flags, gateway);
    const { groups, failures } = await source.removeLeftoverUser(user, runtime.forceSignal);
    const report = reportFailures(failures);
    if (failures.length === 0) runtime.stdout.write(`Removed ${user} from instance groups ${groups.join(', ')} of ${flags.deployment}.\n`);
    runtime.stderr.write(report.text);
    return report.exitCode;
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode || 1;
  } finally {
    gateway?.close();
  }
}
