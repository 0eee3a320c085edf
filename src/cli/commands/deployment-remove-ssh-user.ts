// `bbr-ts deployment --target ... remove-ssh-user --user bosh_...`: removes a temporary SSH user that a run
// could not remove (the director was unreachable at the end, or the run was abandoned). --target only.
import { UsageError } from '../../errors.js';
import { deploymentFlags } from '../options.js';
import { reportFailures } from '../exit.js';
import { directorSource, gatewayFor } from '../run-deployment.js';
import type { Subcommand } from './types.js';

export const deploymentRemoveSshUser: Subcommand = (y, runtime, setExit) =>
  y.command(
    'remove-ssh-user',
    'With --target: remove a temporary SSH user (bosh_...) that an earlier run could not remove, from every instance',
    (sub) => sub.option('user', { type: 'string', demandOption: true, describe: 'the bosh_... user named in that run\'s error' }),
    async (argv) => {
      const flags = deploymentFlags(argv);
      const gateway = flags.gateway === undefined ? undefined : gatewayFor(flags.gateway, flags);
      try {
        if (!flags.director) throw new UsageError('remove-ssh-user needs --target: only the director sets up temporary users');
        if (flags.allDeployments) throw new UsageError('remove-ssh-user works on one --deployment, not --all-deployments');
        const source = await directorSource(flags, gateway);
        const { groups, failures } = await source.removeLeftoverUser(argv.user, runtime.forceSignal);
        const report = reportFailures(failures);
        if (failures.length === 0) runtime.stdout.write(`Removed ${argv.user} from instance groups ${groups.join(', ')} of ${flags.deployment}.\n`);
        runtime.stderr.write(report.text);
        setExit(report.exitCode);
      } catch (error) {
        const report = reportFailures([error]);
        runtime.stderr.write(report.text);
        setExit(report.exitCode || 1);
      } finally {
        gateway?.close();
      }
    },
  );
