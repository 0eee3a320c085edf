// Validates what the director sends before bbr-ts believes it: the VM listing (NDJSON, one VM per line) and
// the ssh setup task's result. Names become artifact file names and addresses become SSH targets, so both are
// checked here, with a message naming the offending line.
import { isIP } from 'node:net';
import { DirectorError } from '../errors.js';

export interface DirectorVm {
  id: string;
  group: string;
  index: number;
  ips: string[];
  bootstrap: boolean;
  /** False for a VM left over from a create-swap-delete; the instance's active VM is listed too. */
  active: boolean;
}

export interface SshHost {
  id: string;
  group: string;
  index: number | null;
  /** Address from the setup result; BBR connects here (never to the VM listing's ips). */
  host: string;
  port: number;
  hostPublicKey: string;
}

/** Instance group and job names end up in artifact file names: plain file-name characters only. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function parseVmList(text: string, deployment: string): DirectorVm[] {
  const vms: DirectorVm[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const bad = (why: string) =>
      new DirectorError(`the director's VM list for deployment '${deployment}' has an unusable line ${i + 1}: ${why}`, {
        hint: `look at \`bosh -d ${deployment} vms --details\`; the director or an agent may be in a bad state`,
      });
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw bad('not JSON');
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw bad('not a JSON object');
    const { id, job_name: group, index, ips, bootstrap, active } = row;
    if (typeof group !== 'string' || !NAME.test(group)) throw bad(`job_name ${JSON.stringify(group)} is not a plain name`);
    if (typeof id !== 'string' || !ID.test(id)) throw bad(`id ${JSON.stringify(id)} is not an instance id`);
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw bad(`index of ${group}/${id} is ${JSON.stringify(index)}, not a whole number`);
    if (ips !== undefined && ips !== null && (!Array.isArray(ips) || ips.some((ip) => typeof ip !== 'string'))) throw bad(`ips of ${group}/${id} is not a list of addresses`);
    vms.push({ id, group, index, ips: (ips as string[] | null | undefined) ?? [], bootstrap: bootstrap === true, active: active !== false });
  });
  return vms;
}

/** The setup task's result: one line holding a JSON array, one element per instance of the group. */
export function parseSshSetupResult(text: string, deployment: string, group: string): SshHost[] {
  const bad = (why: string) =>
    new DirectorError(`the director's ssh setup for ${deployment}/${group} returned an unusable result: ${why}`, {
      hint: `look at the task with \`bosh -d ${deployment} tasks --recent\` and \`bosh task ID --debug\``,
    });
  let hosts: unknown;
  try {
    hosts = JSON.parse(text.trim());
  } catch {
    throw bad('not JSON');
  }
  if (!Array.isArray(hosts)) throw bad('not a list');
  if (hosts.length === 0) throw bad('no instance was set up');
  return hosts.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw bad(`element ${i} is not an object`);
    const h = entry as Record<string, unknown>;
    const id = typeof h['id'] === 'string' && h['id'] !== '' ? h['id'] : undefined;
    const name = `${group}/${id ?? `element ${i}`}`;
    if (!id || !ID.test(id)) throw bad(`element ${i} has no usable instance id`);
    if (h['status'] !== 'success') throw bad(`${name} reports status ${JSON.stringify(h['status'])}, not success`);
    const { host, port } = parseSshAddress(h['ip'], name, deployment);
    if (typeof h['host_public_key'] !== 'string' || h['host_public_key'].trim() === '') throw bad(`${name} reported no host key`);
    const index = typeof h['index'] === 'number' && Number.isInteger(h['index']) ? h['index'] : null;
    return { id, group, index, host, port, hostPublicKey: h['host_public_key'] };
  });
}

/** `ip` or `ip:port` (BBR accepts the latter for its tests); port 22 by default (BBR ssh/connection.go). */
function parseSshAddress(value: unknown, name: string, deployment: string): { host: string; port: number } {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new DirectorError(`the director reported no IP address for ${name}`, {
      hint: `the instance has no address bbr-ts can reach; check its networks with \`bosh -d ${deployment} instances --details\``,
    });
  }
  const text = value.trim();
  const withPort = /^([^:]+):(\d{1,5})$/.exec(text);
  const host = withPort ? withPort[1]! : text;
  const port = withPort ? Number(withPort[2]) : 22;
  if (isIP(host) === 0 || port < 1 || port > 65_535) {
    throw new DirectorError(`the director reported ${JSON.stringify(text)} as the address of ${name}, which is not an IP address`, {
      hint: `check the instance with \`bosh -d ${deployment} instances --details\``,
    });
  }
  return { host, port };
}
