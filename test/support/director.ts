// A stand-in BOSH director for e2e tests: the one external system the tests cannot run for real. Kept small and
// derived from /work/shared/reference/bosh-director-api.md (section numbers below), not from what bbr-ts
// expects. HTTPS with a test CA; /info; basic auth or a UAA (client-credentials grant, expiring tokens) on the
// same server under /uaa; the VM listing and ssh setup/cleanup as tasks (302 → /tasks/N, polled, result
// output). The ssh setup really installs the generated key for a real system user on the fleet's real sshd
// instances (each instance's own authorized_keys.d/<user>) and reports each sshd's real host key; cleanup removes
// it again. Every request is logged, and the faults of §5.2 can be switched on.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Fleet, FleetInstance } from '../../fixtures/fleet/fleet.mjs';

export type StandInAuth =
  | { type: 'basic'; user: string; password: string }
  | {
      type: 'uaa';
      clientId: string;
      secret: string;
      tokenLifetimeS: number;
      /** A token stops working after this many authorized requests (a token expiring mid-run, deterministically). */
      maxTokenUses?: number;
      /** UAA users for the password grant (`bosh log-in`: client bosh_cli, empty secret), name → password. */
      users?: Record<string, string>;
    };

export interface StandInDeployment {
  fleet: Fleet;
  manifestText: string;
}

export interface StandInFaults {
  /** The ssh setup task for this group ends in `error` (after setting up the group's first instance, as a director failing halfway would). */
  setupFailsFor?: string;
  /** This instance's setup result reports the host key of another instance (a key that is not its own). */
  wrongHostKeyFor?: string;
  /** This instance has no IP: `ips: []` in the VM listing and `ip: ""` in the setup result. */
  noIpFor?: string;
  /** Group → index of the instance the VM listing flags as bootstrap (default: index 0). */
  bootstrapIndex?: Record<string, number>;
  /** Every ssh cleanup POST answers 500 (§5.2 "cleanup POST fails"). */
  cleanupFails?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
  status?: number;
  /** Where the request came from (through a gateway: the jumpbox). */
  remoteAddress: string | undefined;
}

export interface StandInDirector {
  /** `https://address:port` */
  url: string;
  caPath: string;
  requests: LoggedRequest[];
  faults: StandInFaults;
  /** The grant type of every token issued so far, in order. */
  tokensIssued(): string[];
  /** bosh_ users whose key is still installed on some instance, as `instance: user`. */
  usersLeft(): Promise<string[]>;
  /** The instance id the director reports for a fleet instance name (`group/index`). */
  idOf(deployment: string, instance: string): string;
  stop(): Promise<void>;
}

interface Task {
  polls: number;
  final: 'done' | 'error';
  result: string;
}

export async function startStandInDirector(options: {
  address: string;
  port?: number;
  auth: StandInAuth;
  deployments: Record<string, StandInDeployment>;
}): Promise<StandInDirector> {
  const port = options.port ?? 25555;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-'));
  const { key, cert, caPath } = await makeCertificates(dir, options.address);
  const requests: LoggedRequest[] = [];
  const faults: StandInFaults = {};
  const tasks = new Map<number, Task>();
  let nextTask = 10;
  const tokens = new Map<string, { expires: number; uses: number }>();
  const issued: string[] = [];
  const refreshTokens = new Set<string>();
  const ids = new Map<string, string>();
  for (const [name, d] of Object.entries(options.deployments)) {
    for (const inst of d.fleet.instances) ids.set(`${name}:${inst.name}`, randomUUID());
  }
  const idOf = (deployment: string, instance: string) => ids.get(`${deployment}:${instance}`)!;
  // useradd/userdel edit the shared /etc/passwd: one at a time.
  let userOps: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = userOps.then(fn, fn);
    userOps = next.catch(() => {});
    return next;
  };

  const startTask = (res: ServerResponse, final: Task['final'], result: string) => {
    const id = nextTask++;
    tasks.set(id, { polls: 0, final, result });
    res.writeHead(302, { Location: `/tasks/${id}` }).end();
  };

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    if (options.auth.type === 'basic') {
      return header === `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`;
    }
    const match = /^bearer (\S+)$/i.exec(header);
    const token = match ? tokens.get(match[1]!) : undefined;
    if (!token || Date.now() >= token.expires) return false;
    token.uses++;
    return options.auth.maxTokenUses === undefined || token.uses <= options.auth.maxTokenUses;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'https://director');
    const route = `${req.method} ${url.pathname}`;
    const json = (status: number, value: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));

    // §2.2: the stand-in UAA, form in the body: client credentials; password and refresh_token for client bosh_cli.
    if (options.auth.type === 'uaa' && route === 'POST /uaa/oauth/token') {
      const form = new URLSearchParams(body);
      const basic = (client: string, secret: string) => `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`;
      const grant = form.get('grant_type');
      const refusedToken = () => json(401, { error: 'unauthorized', error_description: 'Bad credentials' });
      if (url.searchParams.has('grant_type')) return refusedToken();
      let refresh: string | undefined;
      if (grant === 'client_credentials') {
        if (req.headers.authorization !== basic(options.auth.clientId, options.auth.secret)) return refusedToken();
      } else if (grant === 'password' || grant === 'refresh_token') {
        if (req.headers.authorization !== basic('bosh_cli', '')) return refusedToken();
        if (grant === 'password') {
          const user = form.get('username') ?? '';
          if (options.auth.users?.[user] === undefined || options.auth.users[user] !== form.get('password')) return refusedToken();
        } else if (!refreshTokens.has(form.get('refresh_token') ?? '')) {
          return json(401, { error: 'invalid_token', error_description: 'Invalid refresh token' });
        }
        refresh = form.get('refresh_token') ?? randomBytes(16).toString('hex');
        refreshTokens.add(refresh);
      } else {
        return json(400, { error: 'unsupported_grant_type' });
      }
      const token = randomBytes(16).toString('hex');
      tokens.set(token, { expires: Date.now() + options.auth.tokenLifetimeS * 1000, uses: 0 });
      issued.push(grant);
      return json(200, { access_token: token, token_type: 'bearer', expires_in: options.auth.tokenLifetimeS, scope: 'bosh.admin', jti: randomUUID(), ...(refresh ? { refresh_token: refresh } : {}) });
    }
    // §2.1: no authentication needed.
    if (route === 'GET /info') {
      const auth = options.auth.type === 'basic'
        ? { type: 'basic', options: {} }
        : { type: 'uaa', options: { url: `https://${options.address}:${port}/uaa`, urls: [`https://${options.address}:${port}/uaa`] } };
      return json(200, { name: 'stand-in', uuid: '0d4c7c51-2b8e-4c2a-9a8f-3f8e6a1b2c3d', version: '282.0.1 (00000000)', user: null, cpi: 'warden_cpi', user_authentication: auth, features: {} });
    }
    if (!authorized(req)) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="BOSH Director"' }).end(`Not authorized: '${url.pathname}'\n`);
      return;
    }
    const notFound = (name: string) => json(404, { code: 70000, description: `Deployment '${name}' doesn't exist` });

    if (route === 'GET /deployments') return json(200, Object.keys(options.deployments).sort().map((name) => ({ name, teams: [] })));
    let m = /^\/deployments\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const d = options.deployments[m[1]!];
      return d ? json(200, { manifest: d.manifestText }) : notFound(m[1]!);
    }
    m = /^\/deployments\/([^/]+)\/vms$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const name = m[1]!;
      const d = options.deployments[name];
      if (!d) return notFound(name);
      // §2.5: NDJSON, one VM per line.
      const lines = d.fleet.instances.map((inst) =>
        JSON.stringify({
          vm_cid: `vm-${inst.group}-${inst.index}`, active: true, vm_created_at: '2025-01-02T03:04:05Z', cloud_properties: {}, disk_cid: null, disk_cids: [],
          ips: faults.noIpFor === inst.name ? [] : [inst.address], agent_id: `agent-${inst.group}-${inst.index}`, job_name: inst.group, index: inst.index,
          job_state: 'running', state: 'started', vm_type: 'small', vitals: null, processes: [], az: 'z1', id: idOf(name, inst.name),
          bootstrap: inst.index === (faults.bootstrapIndex?.[inst.group] ?? 0), ignore: false, stemcell: { name: 'bosh-stemcell', version: '1.500', api_version: 3 },
        }),
      );
      return startTask(res, 'done', lines.map((l) => `${l}\n`).join(''));
    }
    m = /^\/deployments\/([^/]+)\/ssh$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      const name = m[1]!;
      const d = options.deployments[name];
      if (!d) return notFound(name);
      // §2.7: JSON only; another content type falls through to the unknown-route answer.
      if (!/^application\/json/.test(req.headers['content-type'] ?? '')) {
        return res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Endpoint '${url.pathname}' not found.`);
      }
      const request = JSON.parse(body) as { deployment_name?: string; command?: string; target?: { job?: string; ids?: string[]; indexes?: string[] }; params?: Record<string, string> };
      if (request.deployment_name !== name) return json(400, { code: 40000, description: 'deployment_name does not match' });
      const targets = d.fleet.instances.filter((inst) => {
        if (request.target?.job && inst.group !== request.target.job) return false;
        const wanted = request.target?.ids ?? [];
        return wanted.length === 0 || wanted.some((w) => (/^\d+$/.test(w) ? Number(w) === inst.index : w === idOf(name, inst.name)));
      });
      if (targets.length === 0) return startTask(res, 'error', '');
      if (request.command === 'setup') {
        const user = request.params?.user ?? '';
        const publicKey = request.params?.public_key ?? '';
        if (!/^bosh_[0-9a-f]{15}$/.test(user) || !/^ssh-\S+ \S+\n?$/.test(publicKey)) return json(400, { code: 40000, description: 'bad ssh params' });
        const results = [];
        for (const inst of targets) {
          created.add(user);
          await serially(() => installUser(inst, user, publicKey));
          if (faults.setupFailsFor === inst.group) return startTask(res, 'error', '');
          const reported = faults.wrongHostKeyFor === inst.name ? d.fleet.instances.find((o) => o !== inst)! : inst;
          results.push({
            command: 'setup', status: 'success', ip: faults.noIpFor === inst.name ? '' : `${inst.address}:${inst.port}`,
            host_public_key: await readFile(reported.hostKeyPath, 'utf8'), id: idOf(name, inst.name), index: inst.index, job: inst.group,
          });
        }
        return startTask(res, 'done', `${JSON.stringify(results)}\n`);
      }
      if (request.command === 'cleanup') {
        if (faults.cleanupFails) return res.writeHead(500, { 'Content-Type': 'text/plain' }).end("Can't do it mate");
        const pattern = new RegExp(request.params?.user_regex ?? '^$');
        const results = [];
        for (const inst of targets) {
          await serially(() => removeUsers(inst, pattern, allInstances()));
          results.push({ command: 'cleanup', status: 'success', id: idOf(name, inst.name), index: inst.index, job: inst.group });
        }
        return startTask(res, 'done', `${JSON.stringify(results)}\n`);
      }
      return json(400, { code: 40000, description: 'unknown ssh command' });
    }
    m = /^\/tasks\/(\d+)(\/output)?$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const task = tasks.get(Number(m[1]));
      if (!task) return json(404, { code: 10000, description: `Task ${m[1]} not found` });
      if (m[2]) {
        const type = url.searchParams.get('type');
        if (type === 'result') return res.writeHead(200, { 'Content-Type': 'text/plain' }).end(task.result);
        return res.writeHead(204).end();
      }
      // §2.8: queued, then processing, then the final state, so clients have to poll.
      const state = task.polls === 0 ? 'queued' : task.polls === 1 ? 'processing' : task.final;
      task.polls++;
      return json(200, { id: Number(m[1]), state, description: 'task', result: state === 'error' ? 'something failed' : '', user: 'admin' });
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Endpoint '${url.pathname}' not found.`);
  };

  // System users this stand-in created: removed at stop() whatever a failing test left behind.
  const created = new Set<string>();
  const allInstances = () => Object.values(options.deployments).flatMap((d) => d.fleet.instances);

  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const logged: LoggedRequest = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body, remoteAddress: req.socket.remoteAddress };
      requests.push(logged);
      res.on('finish', () => {
        logged.status = res.statusCode;
      });
      handle(req, res, body).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`stand-in director failed: ${error.message}`);
      });
    });
  });
  // Like the real director's nginx for the cli: one request per connection.
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.address, () => resolve());
  });

  return {
    url: `https://${options.address}:${port}`,
    caPath,
    requests,
    faults,
    tokensIssued: () => [...issued],
    idOf,
    async usersLeft() {
      const left: string[] = [];
      for (const inst of allInstances()) {
        for (const file of await readdir(inst.authorizedKeysDir).catch(() => [] as string[])) {
          if (file.startsWith('bosh_')) left.push(`${inst.name}: ${file}`);
        }
      }
      return left;
    },
    async stop() {
      for (const inst of allInstances()) await serially(() => removeUsers(inst, /^bosh_/, []));
      for (const user of created) {
        await execa('userdel', ['-f', user], { reject: false });
        await rm(`/etc/sudoers.d/${user}`, { force: true });
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** §3.2, on the test fleet: one system user for all "VMs" (shared /etc/passwd), the key per instance, sudo as the stemcell grants it. */
async function installUser(inst: FleetInstance, user: string, publicKey: string): Promise<void> {
  const exists = await execa('id', ['-u', user], { reject: false });
  if (exists.exitCode !== 0) {
    await execa('useradd', ['-M', '-s', '/bin/sh', user]);
    // A locked password ('!') makes sshd without PAM refuse the account even for keys.
    await execa('usermod', ['-p', '*', user]);
    await writeFile(`/etc/sudoers.d/${user}`, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  }
  await writeFile(path.join(inst.authorizedKeysDir, user), publicKey, { mode: 0o644 });
}

/** §3.3: every bosh_ user matching the regex goes from this instance; the system user once no instance holds it. */
async function removeUsers(inst: FleetInstance, pattern: RegExp, everywhere: FleetInstance[]): Promise<void> {
  const users = (await readdir(inst.authorizedKeysDir).catch(() => [] as string[])).filter((u) => u.startsWith('bosh_') && pattern.test(u));
  for (const user of users) {
    await rm(path.join(inst.authorizedKeysDir, user), { force: true });
    const stillUsed = everywhere.some((other) => existsSync(path.join(other.authorizedKeysDir, user)));
    if (!stillUsed) {
      await execa('userdel', ['-f', user], { reject: false });
      await rm(`/etc/sudoers.d/${user}`, { force: true });
    }
  }
}

/** A test CA and a server certificate for the listen address (IP SAN), made with openssl. */
async function makeCertificates(dir: string, address: string): Promise<{ key: string; cert: string; caPath: string }> {
  const f = (name: string) => path.join(dir, name);
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=bbr-ts test CA']);
  await execa('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${address}`]);
  await writeFile(f('ext.cnf'), `subjectAltName=IP:${address}\nbasicConstraints=CA:FALSE\n`);
  await execa('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  // The CA outlives the server's temp dir: tests pass it to bbr-ts by path.
  const caPath = path.join(await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-director-ca-')), 'ca.pem');
  await writeFile(caPath, await readFile(f('ca.pem')));
  return { key: await readFile(f('server.key'), 'utf8'), cert: await readFile(f('server.pem'), 'utf8'), caPath };
}
