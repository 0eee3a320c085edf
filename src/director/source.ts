// The BOSH director as an instance source (BBR's deployment mode): instances, ids, indexes and the bootstrap flag
// from the director's VM listing, releases from its manifest, and a temporary SSH user per run: a key pair made
// in memory, installed by the director's `ssh setup` task on every instance group, the host keys from that task's
// result pinned, and the user removed again by `ssh cleanup` whatever happens to the run.
import { randomUUID } from 'node:crypto';
import { BbrError, DirectorError, SshUserCleanupError } from '../errors.js';
import { parseManifestJobs, type InstanceTarget, type ManifestJob } from '../manifest/index.js';
import type { GrantOutcome, InstanceSource, ResolvedDeployment } from '../orchestrate/instance-source.js';
import { generateSessionKey } from '../ssh/index.js';
import { DirectorClient, type DirectorOptions } from './client.js';
import { parseSshSetupResult, parseVmList, type DirectorVm } from './parse.js';

export interface DirectorSourceOptions extends DirectorOptions {
  deployment: string;
  /** The command that removes a user this run could not remove (printed when cleanup fails). */
  removeUserCommand: (user: string) => string;
}

export class DirectorSource implements InstanceSource {
  private readonly options: DirectorSourceOptions;

  constructor(options: DirectorSourceOptions) {
    this.options = options;
  }

  async resolve(signal: AbortSignal): Promise<ResolvedDeployment> {
    const { deployment } = this.options;
    const client = await DirectorClient.connect(this.options, signal);
    const vms = activeVms(parseVmList(await client.vms(deployment, signal), deployment));
    if (vms.length === 0) {
      throw new DirectorError(`deployment '${deployment}' has no instances with a VM`, { hint: `check it with \`bosh -d ${deployment} instances\`` });
    }
    const manifestText = await client.manifest(deployment, signal);
    const jobs = manifestText === null ? new Map<string, ManifestJob[]>() : parseManifestJobs(manifestText, `the director's manifest of '${deployment}'`);
    const targets = vms.map((vm) => targetOf(vm, jobs.get(vm.group) ?? []));
    const names = new Set<string>();
    for (const t of targets) {
      // Artifacts are named after group and index: two instances sharing both would overwrite each other.
      if (names.has(t.name)) throw new DirectorError(`the director lists two instances as ${t.name} in '${deployment}'`, { hint: `check \`bosh -d ${deployment} instances\`` });
      names.add(t.name);
    }
    return {
      name: deployment,
      targets,
      // Releases come from the director's manifest, as BBR's deployment mode reads them (bosh/manifest_querier.go).
      withReleases: true,
      manifestText: manifestText ?? undefined,
      grantAccess: (accessSignal, cleanupSignal) => this.grantAccess(client, vms, targets, accessSignal, cleanupSignal),
    };
  }

  /** One setup task per instance group (BBR sends one per group too), in the order the VM listing names them. */
  private async grantAccess(
    client: DirectorClient,
    vms: readonly DirectorVm[],
    targets: readonly InstanceTarget[],
    signal: AbortSignal,
    cleanupSignal: AbortSignal,
  ): Promise<GrantOutcome> {
    const { deployment } = this.options;
    const user = `bosh_${randomUUID().replaceAll('-', '').slice(0, 15)}`;
    const key = generateSessionKey();
    const groups = [...new Set(vms.map((vm) => vm.group))];
    // Every group a setup request was sent for, even one that failed: the director may have set up some of its
    // instances before failing, and a group-wide cleanup removes the user from those too.
    const attempted: string[] = [];
    const release = (releaseSignal: AbortSignal) => this.removeUser(client, attempted, user, releaseSignal);
    const granted: InstanceTarget[] = [];
    try {
      for (const group of groups) {
        attempted.push(group);
        const result = await client.sshSetup(deployment, group, user, key.publicKey, signal);
        for (const host of parseSshSetupResult(result, deployment, group)) {
          const target = targets.find((t) => t.id === host.id && t.group === group);
          if (!target) {
            throw new DirectorError(`the director set up SSH on ${group}/${host.id}, which its VM list of '${deployment}' does not contain`, {
              hint: 'the deployment changed while bbr-ts ran (a bosh deploy?); run the command again once it is finished',
            });
          }
          granted.push({
            ...target,
            host: host.host,
            port: host.port,
            access: { username: user, privateKey: key.privateKey, hostKey: host.hostPublicKey },
          });
        }
      }
    } catch (error) {
      const failure = error instanceof BbrError ? error : new DirectorError(String((error as Error)?.message ?? error), { cause: error });
      return { failures: [failure, ...(await release(cleanupSignal))] };
    }
    const missing = targets.filter((t) => !granted.some((g) => g.id === t.id));
    if (missing.length > 0) {
      const names = missing.map((t) => t.name).join(', ');
      const failure = new DirectorError(`the director set up SSH on every instance but ${names}`, {
        hint: `check those instances with \`bosh -d ${deployment} instances --details\``,
      });
      return { failures: [failure, ...(await release(cleanupSignal))] };
    }
    // Keep the order of the VM listing (by group, then index), whatever order the setup results came in.
    const order = new Map(targets.map((t, i) => [t.id, i]));
    granted.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { targets: granted, release };
  }

  /** Removes a temporary user an earlier run could not remove (`remove-ssh-user`), from every instance group. */
  async removeLeftoverUser(user: string, signal: AbortSignal): Promise<{ groups: string[]; failures: BbrError[] }> {
    // Only names bbr-ts (and BBR, and `bosh ssh`) generate: never an operator's own account.
    if (!/^bosh_[0-9a-f]{15}$/.test(user)) {
      throw new DirectorError(`${JSON.stringify(user)} is not a temporary user name (bosh_ and 15 hex digits)`, { hint: 'pass the user name from the error message of the run that could not remove it' });
    }
    const client = await DirectorClient.connect(this.options, signal);
    const vms = parseVmList(await client.vms(this.options.deployment, signal), this.options.deployment);
    const groups = [...new Set(vms.map((vm) => vm.group))];
    return { groups, failures: await this.removeUser(client, groups, user, signal) };
  }

  private async removeUser(client: DirectorClient, groups: readonly string[], user: string, signal: AbortSignal): Promise<BbrError[]> {
    const failures: BbrError[] = [];
    for (const group of groups) {
      try {
        await client.sshCleanup(this.options.deployment, group, user, signal);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        failures.push(
          new SshUserCleanupError(`could not remove the temporary SSH user ${user} from instance group ${group} of '${this.options.deployment}': ${reason}`, {
            cause: error,
            hint: `remove it once the director is reachable: ${this.options.removeUserCommand(user)}`,
          }),
        );
      }
    }
    return failures;
  }
}

/** One row per instance: a leftover inactive VM of an instance is dropped when its active VM is listed. */
function activeVms(vms: readonly DirectorVm[]): DirectorVm[] {
  const byId = new Map<string, DirectorVm>();
  for (const vm of vms) {
    const seen = byId.get(vm.id);
    if (!seen || (!seen.active && vm.active)) byId.set(vm.id, vm);
  }
  const rows = [...byId.values()];
  // Groups in order of first appearance (as BBR), instances by index within a group.
  const groupOrder = new Map<string, number>();
  for (const vm of rows) if (!groupOrder.has(vm.group)) groupOrder.set(vm.group, groupOrder.size);
  return rows.sort((a, b) => groupOrder.get(a.group)! - groupOrder.get(b.group)! || a.index - b.index);
}

function targetOf(vm: DirectorVm, jobs: ManifestJob[]): InstanceTarget {
  return {
    group: vm.group,
    index: vm.index,
    name: `${vm.group}/${vm.index}`,
    // Until the setup task reports the address to use, the listing's first IP names the instance in messages.
    host: vm.ips[0] ?? '(no IP)',
    port: 22,
    jobs: jobs.map((job) => ({ ...job })),
    id: vm.id,
    bootstrap: vm.bootstrap,
  };
}
