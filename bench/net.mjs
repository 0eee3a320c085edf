// Emulated links for `npm run bench`: instances behind a veth pair shaped with `tc tbf`, as VMs behind a 1 or
// 10 Gbit link to the jumpbox. bbr-ts and OpenSSH stay in the root network namespace (the jumpbox); the
// instances' sshds run in a namespace of their own (fleet.mjs option `netns`) whose only way to the jumpbox is
// the shaped veth. Several instances behind one link share one namespace, so they share that one bottleneck
// as VMs share the jumpbox's NIC.
//
//   root namespace (jumpbox)                       namespace bbrb-<name> (the VMs)
//   bbrb-<name>j  198.18.<64+k>.1/24  <== veth ==>  bbrb-<name>i  198.18.<64+k>.10, .11, ...
//   tbf on egress (jumpbox -> VMs)                  tbf on egress (VMs -> jumpbox, the drain's direction)
//
// Addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544), 198.18.64.0/18 only. Names start with
// `bbrb`. Everything created is removed by the returned dispose(), and by removeStaleLinks() before a run
// (a bench killed with SIGKILL leaves them behind); this kernel has `tbf` but no `netem`, so there is no delay.
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);
const PREFIX = 'bbrb';

/** Links alive now (name -> dispose), so a Ctrl-C can remove them after the fleets are stopped. */
export const activeLinks = new Map();

async function ip(...args) {
  await execFile('ip', args);
}

/**
 * Token bucket for `rateBits` per second. burst: 1 ms of the rate (at least 64 KiB, so one GSO super-packet of
 * the veth fits and is not split); queue: 20 ms of the rate, enough for TCP to keep the link busy at zero RTT.
 */
export function tbfArgs(dev, rateBits) {
  const bytesPerMs = rateBits / 8 / 1000;
  const burst = Math.max(64 * 1024, Math.round(bytesPerMs));
  const limit = Math.round(bytesPerMs * 20);
  return ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${rateBits}bit`, 'burst', String(burst), 'limit', String(limit)];
}

const hasTool = (tool) => execFile('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false);

/**
 * What the link emulation needs, or why it cannot run here (the figures are then skipped, not failed). Installs
 * Debian's iproute2 (`ip`, `tc`) when it is missing and we are root, as the bench installs `time`.
 */
export async function linkEmulationMissing() {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!(await hasTool('ip')) || !(await hasTool('tc'))) {
    console.log('installing the Debian package `iproute2` (ip, tc: emulated links)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await execFile('sh', ['-c', 'apt-get install -y -q iproute2 || { apt-get update -q && apt-get install -y -q iproute2; }'], { env }).catch(() => undefined);
  }
  for (const tool of ['ip', 'tc', 'nsenter']) {
    if (!(await hasTool(tool))) return `needs \`${tool}\` (apt-get install -y iproute2 util-linux)`;
  }
  const probe = `${PREFIX}-probe`;
  try {
    await ip('netns', 'add', probe);
    await ip('-n', probe, 'link', 'add', `${probe}0`, 'type', 'veth', 'peer', 'name', `${probe}1`);
    await execFile('ip', ['netns', 'exec', probe, 'tc', ...tbfArgs(`${probe}0`, 1e9)]);
    return null;
  } catch (error) {
    return `cannot create a shaped veth link here: ${String(error.stderr || error.message).trim()}`;
  } finally {
    await ip('netns', 'del', probe).catch(() => undefined);
  }
}

/** Removes namespaces and links named bbrb-* left by an earlier, killed bench run. */
export async function removeStaleLinks() {
  const { stdout: spaces } = await execFile('ip', ['netns', 'list']);
  for (const name of spaces.split('\n').map((l) => l.split(' ')[0]).filter((n) => n?.startsWith(PREFIX))) {
    await ip('netns', 'del', name).catch(() => undefined);
  }
  const { stdout: links } = await execFile('ip', ['-o', 'link', 'show']);
  for (const m of links.matchAll(/^\d+: (bbrb[^@:]*)/gm)) await ip('link', 'del', m[1]).catch(() => undefined);
}

/**
 * Creates one shaped link `name` (k = 0..63 picks the /24) with `instances` addresses behind it; resolves with
 * { netnsName, addresses, jumpboxAddress, rateBits, dispose }. The namespace is removed by dispose() (after the
 * fleet inside it was stopped).
 */
export async function createShapedLink({ name, k, rateBits, instances }) {
  if (!/^[a-z0-9]{1,8}$/.test(name) || k < 0 || k > 63) throw new Error(`bad link ${name}/${k}`);
  const ns = `${PREFIX}-${name}`;
  const jumpboxDev = `${PREFIX}${name}j`;
  const instanceDev = `${PREFIX}${name}i`;
  const net = `198.18.${64 + k}`;
  const dispose = async () => {
    activeLinks.delete(ns);
    await ip('link', 'del', jumpboxDev).catch(() => undefined);
    await ip('netns', 'del', ns).catch(() => undefined);
  };
  activeLinks.set(ns, dispose);
  try {
    await ip('netns', 'add', ns);
    await ip('link', 'add', jumpboxDev, 'type', 'veth', 'peer', 'name', instanceDev, 'netns', ns);
    await ip('addr', 'add', `${net}.1/24`, 'dev', jumpboxDev);
    await ip('link', 'set', jumpboxDev, 'up');
    const addresses = Array.from({ length: instances }, (_, i) => `${net}.${10 + i}`);
    for (const a of addresses) await ip('-n', ns, 'addr', 'add', `${a}/24`, 'dev', instanceDev);
    await ip('-n', ns, 'link', 'set', instanceDev, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await execFile('tc', tbfArgs(jumpboxDev, rateBits));
    await execFile('ip', ['netns', 'exec', ns, 'tc', ...tbfArgs(instanceDev, rateBits)]);
    return { netnsName: ns, addresses, jumpboxAddress: `${net}.1`, rateBits, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Bytes the instance side of a link has sent (tbf counters), to check that the shaping really applied. */
export async function linkSentBytes(link) {
  const { stdout } = await execFile('ip', ['netns', 'exec', link.netnsName, 'tc', '-s', 'qdisc', 'show', 'dev', `${link.netnsName.replace('-', '')}i`]);
  const m = /Sent (\d+) bytes/.exec(stdout);
  return m ? Number(m[1]) : 0;
}
