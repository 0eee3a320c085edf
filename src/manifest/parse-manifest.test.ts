// parseManifest: BOSH v2 manifests → SSH targets, and one-line errors for every way a manifest can be wrong.
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../errors.js';
import { parseManifest } from './index.js';

const FILE = 'deploy.yml';
const parse = (text: string) => parseManifest(text, FILE, { sshPort: 2222 });

function errorOf(text: string): ManifestError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    const manifestError = error as ManifestError;
    expect(manifestError.message).not.toContain('\n');
    expect(manifestError.message.startsWith(`${FILE}: `)).toBe(true);
    return manifestError;
  }
  throw new Error('expected a ManifestError');
}

/** A manifest with one group `web`; `group` replaces the lines of that group after its name. */
function manifestWith(group: string): string {
  return `name: shop\ninstance_groups:\n- name: web\n${group}`;
}

const GOOD = `
name: shop
releases: [{ name: nginx, version: latest }]
stemcells: [{ alias: default, os: ubuntu-jammy, version: latest }]
update: { canaries: 1, max_in_flight: 1 }
instance_groups:
- name: web
  instances: 2
  vm_type: small
  azs: [z1]
  jobs:
  - { name: nginx, release: nginx, properties: { port: 80 } }
  - { name: backup-agent, release: bbr-tools }
  networks:
  - name: default
    static_ips: [10.0.0.10]
  - name: backup
    static_ips: [10.0.1.10, 10.0.1.11]
- name: db
  instances: 3
  jobs: [{ name: postgres, release: postgres }]
  networks: [{ name: default, static_ips: ['10.0.0.20 - 10.0.0.21', 10.0.0.30] }]
- name: errand
  instances: 0
  lifecycle: errand
  jobs: [{ name: smoke-tests, release: nginx }]
  networks: [{ name: default }]
properties: { anything: goes }
`;

describe('parseManifest', () => {
  it('derives one target per instance from static_ips, in group and index order', () => {
    const manifest = parse(GOOD);
    expect(manifest.name).toBe('shop');
    expect(manifest.file).toBe(FILE);
    expect(manifest.text).toBe(GOOD);
    expect(manifest.instances.map((i) => `${i.name}@${i.host}:${i.port}`)).toEqual([
      'web/0@10.0.0.10:2222',
      'web/1@10.0.1.10:2222',
      'db/0@10.0.0.20:2222',
      'db/1@10.0.0.21:2222',
      'db/2@10.0.0.30:2222',
    ]);
    expect(manifest.instances[0]).toEqual({
      group: 'web',
      index: 0,
      name: 'web/0',
      host: '10.0.0.10',
      port: 2222,
      jobs: [
        { name: 'nginx', release: 'nginx' },
        { name: 'backup-agent', release: 'bbr-tools' },
      ],
    });
    expect(manifest.instanceGroups).toEqual([
      { name: 'web', instances: 2, jobs: manifest.instances[0]?.jobs },
      { name: 'db', instances: 3, jobs: [{ name: 'postgres', release: 'postgres' }] },
      { name: 'errand', instances: 0, jobs: [{ name: 'smoke-tests', release: 'nginx' }] },
    ]);
  });

  it('expands IPv4 ranges across an octet boundary and accepts IPv6 addresses', () => {
    const manifest = parse(
      manifestWith(`  instances: 4\n  jobs: []\n  networks: [{ name: n, static_ips: [10.0.0.254-10.0.1.1, 'fd00::5'] }]\n`),
    );
    expect(manifest.instances.map((i) => i.host)).toEqual(['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    const v6 = parse(manifestWith(`  instances: 1\n  jobs: []\n  networks: [{ name: n, static_ips: ['fd00::5'] }]\n`));
    expect(v6.instances[0]?.host).toBe('fd00::5');
  });

  it('accepts an empty instance_groups list and extra unused addresses', () => {
    expect(parse('name: empty\ninstance_groups: []\n').instances).toEqual([]);
    const extra = parse(manifestWith(`  instances: 1\n  jobs: []\n  networks: [{ name: n, static_ips: [10.0.0.1, 10.0.0.1] }]\n`));
    expect(extra.instances.map((i) => i.host)).toEqual(['10.0.0.1']);
  });

  it('reports invalid YAML with its line and column', () => {
    expect(errorOf('name: shop\ninstance_groups: [\n  - a\nfoo: 1').message).toMatch(/^deploy\.yml: invalid YAML: .* at line \d+, column \d+$/);
    expect(errorOf('name: a\nname: b\ninstance_groups: []').message).toBe(
      'deploy.yml: invalid YAML: Map keys must be unique at line 2, column 1',
    );
  });

  it('rejects a top level that is not a mapping, including an empty file', () => {
    expect(errorOf('- name: shop').message).toContain('top level, got a list');
    expect(errorOf('').message).toContain('top level, got null');
    expect(errorOf('just text').message).toContain('top level, got "just text"');
  });

  it('requires a non-empty deployment name', () => {
    expect(errorOf('instance_groups: []').message).toBe(
      "deploy.yml: deployment 'name' is missing or empty; add a top-level 'name: <deployment name>'",
    );
    expect(errorOf('name: ""\ninstance_groups: []').message).toContain("'name' is missing or empty");
    expect(errorOf('name: 42\ninstance_groups: []').message).toContain("'name' is missing or empty");
  });

  it('refuses deployment, instance group and job names that cannot become file names, showing them escaped', () => {
    expect(errorOf('name: ../../X\ninstance_groups: []').message).toBe(`deploy.yml: deployment name "../../X" cannot be used: it contains '/'`);
    expect(errorOf('name: ".."\ninstance_groups: []').message).toContain(`deployment name ".." cannot be used: '..' is not a name`);
    expect(errorOf('name: s\ninstance_groups: [{ name: "a/b", instances: 0, jobs: [] }]').message).toBe(
      `deploy.yml: instance_groups[0] name "a/b" cannot be used: it contains '/'`,
    );
    const escape = errorOf('name: s\ninstance_groups: [{ name: web, instances: 0, jobs: [{ name: "j\\e[31m", release: r }] }]');
    expect(escape.message).toBe(`deploy.yml: instance group 'web': jobs[0] name "j\\x1b[31m" cannot be used: it contains a control character`);
    expect(escape.hint).toMatch(/must fit in 255 bytes/);
  });

  it('requires instance_groups to be a list, and says so for v1 manifests', () => {
    expect(errorOf('name: shop').message).toContain("missing 'instance_groups'");
    expect(errorOf('name: shop\njobs: [{ name: web }]').message).toContain('v1 manifests with top-level jobs');
    expect(errorOf('name: shop\ninstance_groups: { web: {} }').message).toContain(
      "'instance_groups' must be a list, got a mapping",
    );
  });

  it('rejects instance groups that are not mappings, unnamed or duplicated', () => {
    expect(errorOf('name: shop\ninstance_groups: [web]').message).toContain('instance_groups[0] must be a mapping');
    expect(errorOf('name: shop\ninstance_groups: [{ instances: 1 }]').message).toContain("instance_groups[0] has no 'name'");
    const twice = `name: s\ninstance_groups:\n- { name: web, instances: 0, jobs: [] }\n- { name: db, instances: 0, jobs: [] }\n- { name: web, instances: 0, jobs: [] }`;
    expect(errorOf(twice).message).toBe(
      "deploy.yml: instance group 'web' is defined twice (instance_groups[0] and instance_groups[2]); give each instance group a unique name",
    );
  });

  it('rejects instances that are not a whole number, with a hint for ((variables))', () => {
    expect(errorOf(manifestWith('  instances: "two"\n  jobs: []\n')).message).toBe(
      `deploy.yml: instance group 'web': 'instances' must be a whole number (0 or more), got "two"; set instance_groups[web].instances`,
    );
    expect(errorOf(manifestWith('  instances: -1\n  jobs: []\n')).message).toContain('got -1');
    expect(errorOf(manifestWith('  instances: 1.5\n  jobs: []\n')).message).toContain('got 1.5');
    expect(errorOf(manifestWith('  jobs: []\n')).message).toContain("'instances' must be a whole number (0 or more), got nothing");
    expect(errorOf(manifestWith('  instances: ((web_instances))\n  jobs: []\n')).hint).toContain('bosh interpolate');
  });

  it('rejects jobs that are not a list of named jobs with a release', () => {
    expect(errorOf(manifestWith('  instances: 0\n  jobs: { nginx: {} }\n')).message).toContain(
      "instance group 'web': 'jobs' must be a list, got a mapping",
    );
    expect(errorOf(manifestWith('  instances: 0\n')).message).toContain("'jobs' must be a list, got nothing");
    expect(errorOf(manifestWith('  instances: 0\n  jobs: [nginx]\n')).message).toContain('jobs[0] must be a mapping');
    expect(errorOf(manifestWith('  instances: 0\n  jobs: [{ release: nginx }]\n')).message).toBe(
      "deploy.yml: instance group 'web': jobs[0] has no 'name'; give every entry of instance_groups[web].jobs a name and a release",
    );
    expect(errorOf(manifestWith('  instances: 0\n  jobs: [{ name: nginx }]\n')).message).toContain("jobs[0] has no 'release'");
  });

  it('rejects networks and static_ips of the wrong type or with bad addresses', () => {
    const withNetworks = (networks: string) => manifestWith(`  instances: 1\n  jobs: []\n  networks: ${networks}\n`);
    expect(errorOf(withNetworks('default')).message).toContain(`'networks' must be a list, got "default"`);
    expect(errorOf(withNetworks('[default]')).message).toContain('networks[0] must be a mapping');
    expect(errorOf(withNetworks('[{ name: n, static_ips: 10.0.0.1 }]')).message).toContain(
      'networks[0].static_ips must be a list, got "10.0.0.1"',
    );
    expect(errorOf(withNetworks('[{ name: n, static_ips: [10.0.0.x] }]')).message).toContain(
      'networks[0].static_ips entry "10.0.0.x" is not an IP address or range',
    );
    expect(errorOf(withNetworks('[{ name: n, static_ips: [10.0.0.9-10.0.0.1] }]')).message).toContain('ends before it starts');
    expect(errorOf(withNetworks('[{ name: n, static_ips: [10.0.0.1-10.9.0.1] }]')).message).toContain('spans more than');
    expect(errorOf(withNetworks("[{ name: n, static_ips: ['fd00::1-fd00::5'] }]")).message).toContain('not a valid IPv4 range');
    expect(errorOf(withNetworks('[{ name: n, static_ips: [42] }]')).message).toContain('entry 42 is not an IP address');
  });

  it('requires an address for every instance', () => {
    const twoAddresses = manifestWith(
      `  instances: 3\n  jobs: []\n  networks: [{ name: a, static_ips: [10.0.0.1] }, { name: b, static_ips: [10.0.0.2] }]\n`,
    );
    expect(errorOf(twoAddresses).message).toBe(
      "deploy.yml: instance group 'web' has 3 instances but only 2 static_ips in its networks; add 1 more address to instance_groups[web].networks[].static_ips",
    );
    expect(errorOf(manifestWith('  instances: 2\n  jobs: []\n  networks: [{ name: dynamic }]\n')).message).toContain(
      'has 2 instances but no static_ips in its networks; add 2 addresses',
    );
    expect(errorOf(manifestWith('  instances: 1\n  jobs: []\n')).message).toContain('but no static_ips');
  });

  it('reads properties.bbr.backup_one_restore_all per job, as BBR does, and refuses names unfit for a file', () => {
    const jobs = (list: string) => manifestWith(`  instances: 1\n  jobs: ${list}\n  networks: [{ name: n, static_ips: [10.0.0.1] }]\n`);
    const manifest = parse(
      jobs('[{ name: redis, release: redis, properties: { bbr: { backup_one_restore_all: true } } }, { name: agent, release: bbr, properties: { bbr: { backup_one_restore_all: false } } }]'),
    );
    expect(manifest.instances[0]?.jobs).toEqual([{ name: 'redis', release: 'redis', backupOneRestoreAll: true }, { name: 'agent', release: 'bbr' }]);
    expect(errorOf(jobs('[{ name: redis, release: redis, properties: { bbr: { backup_one_restore_all: "yes" } } }]')).message).toContain(
      'jobs[0] (redis): properties.bbr.backup_one_restore_all must be true or false, got "yes"',
    );
    expect(errorOf(jobs('[{ name: redis, release: ../up, properties: { bbr: { backup_one_restore_all: true } } }]')).message).toContain(
      'its release "../up" cannot be part of an artifact file name',
    );
  });

  it('rejects an address given to two instances', () => {
    const text = `name: s\ninstance_groups:\n- { name: web, instances: 1, jobs: [], networks: [{ name: n, static_ips: [10.0.0.5] }] }\n- { name: db, instances: 2, jobs: [], networks: [{ name: n, static_ips: [10.0.0.4-10.0.0.5] }] }`;
    expect(errorOf(text).message).toBe(
      'deploy.yml: address 10.0.0.5 is given to both web/0 and db/1; each instance needs its own address',
    );
    const sameGroup = manifestWith('  instances: 2\n  jobs: []\n  networks: [{ name: n, static_ips: [10.0.0.5, 10.0.0.5] }]\n');
    expect(errorOf(sameGroup).message).toContain('both web/0 and web/1');
  });
});
