// Validates a BOSH v2 deployment manifest and derives one SSH target per instance from its static_ips.
// Every problem is a one-line ManifestError naming the file, the instance group and what to change.
import { isIP, isIPv4 } from 'node:net';
import { parseDocument } from 'yaml';
import { ManifestError } from '../errors.js';
import { NAME_HINT, nameProblem, quoteName } from '../names.js';
import type {
  DeploymentManifest,
  InstanceTarget,
  ManifestInstanceGroup,
  ManifestJob,
  ManifestOptions,
} from './types.js';

type Mapping = Record<string, unknown>;

/** Large enough for any real network, small enough that a typo like 10.0.0.1-10.9.0.1 cannot exhaust memory. */
const MAX_RANGE_SIZE = 65_536;

export function parseManifest(text: string, file: string, options: ManifestOptions): DeploymentManifest {
  const { name, groups } = parseGroups(text, file, true);
  const fail = (problem: string, hint?: string): ManifestError =>
    new ManifestError(`${file}: ${problem}`, { hint });
  return withTargets(name, file, text, groups, options, fail);
}

/**
 * The jobs of each instance group (releases, backup_one_restore_all), without addresses: for a manifest the
 * BOSH director hands out, whose instances get their addresses from the director instead of static_ips.
 */
export function parseManifestJobs(text: string, file: string): Map<string, ManifestJob[]> {
  const { groups } = parseGroups(text, file, false);
  return new Map(groups.map((g) => [g.name, g.jobs]));
}

function parseGroups(text: string, file: string, withAddresses: boolean): { name: string; groups: ParsedGroup[] } {
  const fail = (problem: string, hint?: string): ManifestError =>
    new ManifestError(`${file}: ${problem}`, { hint });

  const doc = parseDocument(text);
  const [yamlError] = doc.errors;
  if (yamlError) {
    const where = yamlError.message.split('\n')[0]?.replace(/:$/, '');
    throw fail(`invalid YAML: ${where}`, 'fix the YAML syntax at that position (indentation, quotes, brackets)');
  }
  const root: unknown = doc.toJS();
  if (!isMapping(root)) {
    throw fail(`expected a mapping with 'name' and 'instance_groups' at the top level, got ${describe(root)}`);
  }

  const name = root['name'];
  if (typeof name !== 'string' || name.trim() === '') {
    throw fail(`deployment 'name' is missing or empty; add a top-level 'name: <deployment name>'`);
  }
  const nameRefused = nameProblem(name);
  if (nameRefused) throw fail(`deployment name ${quoteName(name)} cannot be used: ${nameRefused}`, NAME_HINT);

  const groupsValue = root['instance_groups'];
  if (groupsValue === undefined || groupsValue === null) {
    const v1 = Array.isArray(root['jobs']) ? ' (v1 manifests with top-level jobs are not supported)' : '';
    throw fail(`missing 'instance_groups'${v1}; list the deployment's instance groups under 'instance_groups'`);
  }
  if (!Array.isArray(groupsValue)) {
    const got = describe(groupsValue);
    throw fail(`'instance_groups' must be a list, got ${got}; write it as a list of instance groups`);
  }

  const groups = groupsValue.map((value, i) => parseGroup(value, i, fail, withAddresses));
  const firstIndexOf = new Map<string, number>();
  groups.forEach((group, i) => {
    const first = firstIndexOf.get(group.name);
    if (first !== undefined) {
      throw fail(
        `instance group '${group.name}' is defined twice (instance_groups[${first}] and instance_groups[${i}]); ` +
          `give each instance group a unique name`,
      );
    }
    firstIndexOf.set(group.name, i);
  });
  return { name, groups };
}

function withTargets(name: string, file: string, text: string, groups: ParsedGroup[], options: ManifestOptions, fail: Fail): DeploymentManifest {

  const instances: InstanceTarget[] = [];
  const ownerOf = new Map<string, string>();
  for (const group of groups) {
    for (let index = 0; index < group.instances; index++) {
      const host = group.addresses[index] as string;
      const instanceName = `${group.name}/${index}`;
      const owner = ownerOf.get(host);
      if (owner !== undefined) {
        const both = `${owner} and ${instanceName}`;
        throw fail(`address ${host} is given to both ${both}; each instance needs its own address`);
      }
      ownerOf.set(host, instanceName);
      const jobs = group.jobs.map((job) => ({ ...job }));
      instances.push({ group: group.name, index, name: instanceName, host, port: options.sshPort, jobs });
    }
  }

  const instanceGroups = groups.map((group) => ({ name: group.name, instances: group.instances, jobs: group.jobs }));
  return { name, file, text, instanceGroups, instances };
}

type Fail = (problem: string, hint?: string) => ManifestError;

type ParsedGroup = ManifestInstanceGroup & { addresses: string[] };

function parseGroup(value: unknown, position: number, fail: Fail, withAddresses: boolean): ParsedGroup {
  if (!isMapping(value)) {
    const got = describe(value);
    throw fail(`instance_groups[${position}] must be a mapping with name, instances, jobs and networks, got ${got}`);
  }
  const name = value['name'];
  if (typeof name !== 'string' || name.trim() === '') {
    throw fail(`instance_groups[${position}] has no 'name'; give every instance group a non-empty name`);
  }
  const nameRefused = nameProblem(name);
  if (nameRefused) throw fail(`instance_groups[${position}] name ${quoteName(name)} cannot be used: ${nameRefused}`, NAME_HINT);
  const at = (problem: string, hint?: string): ManifestError => fail(`instance group '${name}': ${problem}`, hint);
  const path = `instance_groups[${name}]`;

  const instances = value['instances'];
  if (typeof instances !== 'number' || !Number.isInteger(instances) || instances < 0) {
    throw at(
      `'instances' must be a whole number (0 or more), got ${describe(instances)}; set ${path}.instances`,
      interpolationHint(instances),
    );
  }

  const jobsValue = value['jobs'];
  if (!Array.isArray(jobsValue)) {
    throw at(`'jobs' must be a list, got ${describe(jobsValue)}; write ${path}.jobs as a list of {name, release}`);
  }
  const jobs = jobsValue.map((job, i): ManifestJob => {
    if (!isMapping(job)) throw at(`jobs[${i}] must be a mapping with name and release, got ${describe(job)}`);
    for (const key of ['name', 'release'] as const) {
      const field = job[key];
      if (typeof field !== 'string' || field.trim() === '') {
        throw at(
          `jobs[${i}] has no '${key}'; give every entry of ${path}.jobs a name and a release`,
          interpolationHint(field),
        );
      }
    }
    // The release becomes part of a path only with backup_one_restore_all, which checks it below.
    const refused = nameProblem(job['name'] as string);
    if (refused) throw at(`jobs[${i}] name ${quoteName(job['name'] as string)} cannot be used: ${refused}`, NAME_HINT);
    const parsed: ManifestJob = { name: job['name'] as string, release: job['release'] as string };
    if (backupOneRestoreAll(job, i, at)) parsed.backupOneRestoreAll = true;
    return parsed;
  });

  if (!withAddresses) return { name, instances, jobs, addresses: [] };
  const addresses = collectAddresses(value['networks'], path, at);
  if (addresses.length < instances) {
    const have = addresses.length === 0 ? 'no' : `only ${addresses.length}`;
    const missing = instances - addresses.length;
    const add = `add ${missing}${addresses.length === 0 ? '' : ' more'} address${missing === 1 ? '' : 'es'}`;
    throw fail(
      `instance group '${name}' has ${instances} instances but ${have} static_ips in its networks; ` +
        `${add} to ${path}.networks[].static_ips`,
    );
  }
  return { name, instances, jobs, addresses };
}

/** A job's `properties.bbr.backup_one_restore_all`; BBR reads it as a boolean (bosh/manifest_querier.go). */
function backupOneRestoreAll(job: Mapping, position: number, at: Fail): boolean {
  const properties = job['properties'];
  const bbr = isMapping(properties) ? properties['bbr'] : undefined;
  const value = isMapping(bbr) ? bbr['backup_one_restore_all'] : undefined;
  if (value === undefined || value === null || value === false) return false;
  if (value !== true) {
    throw at(`jobs[${position}] (${String(job['name'])}): properties.bbr.backup_one_restore_all must be true or false, got ${describe(value)}`, interpolationHint(value));
  }
  // The custom artifact is the local file `<job>-<release>-backup-one-restore-all.tar` and a directory on the
  // instance: both names must be plain file-name characters.
  for (const key of ['name', 'release'] as const) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(job[key] as string)) {
      throw at(
        `jobs[${position}] has backup_one_restore_all, but its ${key} ${JSON.stringify(job[key])} cannot be part of an artifact file name; ` +
          'use letters, digits, dots, dashes and underscores only',
      );
    }
  }
  return true;
}

/** The static_ips of all networks, concatenated in network order; ranges are expanded. */
function collectAddresses(networks: unknown, path: string, at: Fail): string[] {
  if (networks === undefined || networks === null) return [];
  if (!Array.isArray(networks)) {
    const got = describe(networks);
    throw at(`'networks' must be a list, got ${got}; write ${path}.networks as a list of {name, static_ips}`);
  }
  const addresses: string[] = [];
  networks.forEach((network, i) => {
    if (!isMapping(network)) {
      throw at(`networks[${i}] must be a mapping with name and static_ips, got ${describe(network)}`);
    }
    const ips = network['static_ips'];
    // A network without static_ips is a dynamic one; it contributes no address we could SSH to.
    if (ips === undefined || ips === null) return;
    if (!Array.isArray(ips)) {
      const got = describe(ips);
      throw at(`networks[${i}].static_ips must be a list, got ${got}; write it as a list, e.g. static_ips: [10.0.0.5]`);
    }
    for (const entry of ips) addresses.push(...expandStaticIp(entry, `networks[${i}].static_ips`, at));
  });
  return addresses;
}

/** BOSH accepts single addresses and IPv4 ranges such as `10.0.0.5-10.0.0.7` (or `10.0.0.5 - 10.0.0.7`). */
function expandStaticIp(entry: unknown, where: string, at: Fail): string[] {
  const text = typeof entry === 'string' ? entry.trim() : undefined;
  const bad = (why: string): ManifestError =>
    at(
      `${where} entry ${describe(entry)} ${why}; ` +
        'use addresses like 10.0.0.5 or IPv4 ranges like 10.0.0.5-10.0.0.7',
      interpolationHint(entry),
    );
  if (text === undefined) throw bad('is not an IP address');
  if (isIP(text) !== 0) return [text];

  const range = /^(\S+)\s*-\s*(\S+)$/.exec(text);
  if (!range) throw bad('is not an IP address or range');
  const [, from = '', to = ''] = range;
  if (!isIPv4(from) || !isIPv4(to)) throw bad('is not a valid IPv4 range');
  const start = ipv4ToNumber(from);
  const end = ipv4ToNumber(to);
  if (end < start) throw bad('ends before it starts');
  if (end - start + 1 > MAX_RANGE_SIZE) throw bad(`spans more than ${MAX_RANGE_SIZE} addresses`);
  const expanded: string[] = [];
  for (let n = start; n <= end; n++) expanded.push(numberToIpv4(n));
  return expanded;
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/** `((var))` placeholders mean the operator passed the raw manifest instead of the interpolated one. */
function interpolationHint(value: unknown): string | undefined {
  return typeof value === 'string' && value.includes('((')
    ? 'the manifest still contains ((variables)); ' +
        "pass the output of 'bosh interpolate' (or 'bosh manifest') instead"
    : undefined;
}
