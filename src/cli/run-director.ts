// Composition root for `bbr-ts director ...`: BBR's single-host mode. The one instance is `bosh/0`, artifacts are
// `bosh-0-<job>.tar` in `<host>_<timestamp>/`, and lock order matches job names only (standalone/ in BBR).
// Unlike BBR, the host key is checked against known_hosts here too.
import { UsageError, type Remedy } from '../errors.js';
import { nameProblem, quoteName } from '../names.js';
import type { InstanceTarget } from '../manifest/index.js';
import type { Operation } from '../orchestrate/events.js';
import { shellCommand } from '../ssh/index.js';
import { runOperation, type Workflow } from './run-operation.js';
import type { ConnectionFlags, Runtime } from './runtime.js';
import { flagArgs } from './option-table.js';
import { DIRECTOR_MODE_OPTIONS } from './options.js';

export interface DirectorFlags extends ConnectionFlags {
  /** `host[:port]` as given. */
  readonly host: string;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to 22 (BBR ssh/connection.go defaultToSSHPort). */
export function parseDirectorHost(text: string): { host: string; port: number } {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const plain = /^([^:[\]\s]+)(?::(\d+))?$/.exec(trimmed);
  const match = bracketed ?? plain;
  const host = match?.[1];
  const port = match?.[2] === undefined ? 22 : Number(match[2]);
  // The host names the artifact directory (`<host>_<timestamp>`), so it must be usable as a file name too.
  if (!host || nameProblem(host) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`--host ${quoteName(text)} is not HOST or HOST:PORT`, { hint: 'pass the director VM as --host 10.0.0.6 or --host 10.0.0.6:22' });
  }
  return { host, port };
}

export function directorTarget(flags: Pick<DirectorFlags, 'host'>): InstanceTarget {
  const { host, port } = parseDirectorHost(flags.host);
  return { group: 'bosh', index: 0, name: 'bosh/0', host, port, jobs: [] };
}

export function runDirectorOperation(runtime: Runtime, flags: DirectorFlags, operation: Operation, workflow: Workflow): Promise<number> {
  // The director VM is the one instance: its address is the whole source.
  const source = {
    resolve: async () => {
      const target = directorTarget(flags);
      // BBR compat: the artifact directory is named after the host without its port (cli/command/utils.go).
      return { name: target.host, targets: [target], withReleases: false };
    },
  };
  return runOperation(runtime, flags, operation, { source, cleanupCommand: (verb) => directorCleanupCommand(flags, verb) }, workflow);
}

function directorCleanupCommand(flags: DirectorFlags, verb: Remedy): string {
  const { host, username, privateKeyPath } = DIRECTOR_MODE_OPTIONS;
  return shellCommand(['bbr-ts', 'director', ...flagArgs(host, flags.host), ...flagArgs(username, flags.username), ...flagArgs(privateKeyPath, flags.privateKeyPath), verb]);
}
