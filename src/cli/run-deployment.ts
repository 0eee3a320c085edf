// Composition root for `bbr-ts deployment ...`: the instances come from a BOSH manifest; the rest is the
// shared run-operation path (credentials → connections → workflow → report).
import { UsageError } from '../errors.js';
import { loadManifest } from '../manifest/index.js';
import { NAME_HINT, nameProblem, quoteName } from '../names.js';
import type { Operation } from '../report/events.js';
import { shellCommand } from '../ssh/index.js';
import { DEFAULT_KNOWN_HOSTS } from './options.js';
import { runOperation, type CleanupVerb, type Workflow } from './run-operation.js';
import type { ConnectionFlags, Runtime } from './runtime.js';

export interface DeploymentFlags extends ConnectionFlags {
  manifest: string;
  deployment?: string;
  sshPort: number;
}

export function runDeploymentOperation(runtime: Runtime, flags: DeploymentFlags, operation: Operation, workflow: Workflow): Promise<number> {
  return runOperation(
    runtime,
    flags,
    operation,
    async () => {
      // Checked before the manifest is read: the flag is the operator's, and it names the artifact directory.
      const refused = flags.deployment === undefined ? undefined : nameProblem(flags.deployment);
      if (refused) throw new UsageError(`--deployment ${quoteName(flags.deployment!)} cannot be used: ${refused}`, { hint: NAME_HINT });
      const manifest = await loadManifest(flags.manifest, { sshPort: flags.sshPort });
      return {
        name: flags.deployment ?? manifest.name,
        targets: manifest.instances,
        withReleases: true,
        manifestText: manifest.text,
        cleanupCommand: (verb) => deploymentCleanupCommand(flags, verb),
      };
    },
    workflow,
  );
}

/** The cleanup command for this run, with every flag that changes how instances are reached, ready to paste. */
export function deploymentCleanupCommand(flags: DeploymentFlags, verb: CleanupVerb): string {
  const hostKeys = flags.dangerouslySkipHostKeyCheck
    ? ['--dangerously-skip-host-key-check']
    : flags.knownHosts === DEFAULT_KNOWN_HOSTS
      ? []
      : ['--known-hosts', flags.knownHosts];
  return shellCommand([
    'bbr-ts',
    'deployment',
    '--manifest',
    flags.manifest,
    '--username',
    flags.username,
    '--private-key-path',
    flags.privateKeyPath,
    ...hostKeys,
    ...(flags.sshPort === 22 ? [] : ['--ssh-port', String(flags.sshPort)]),
    verb,
  ]);
}
