// The flag tables: yargs declarations and the typed options object both come from them, and bad values are
// refused with the messages operators know, before anything is read or connected.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { UsageError } from '../errors.js';
import { combineOptions, declareOptions, defineOptions, envVarOf, ENV_PREFIX, readOptions } from './option-table.js';
import { CONNECTION_OPTIONS, DEPLOYMENT_MODE_OPTIONS, DEPLOYMENT_OPTIONS, deploymentFlags, DIRECTOR_MODE_OPTIONS, directorFlags, LOGIN_OPTIONS } from './options.js';
import { configureOutput, outputFlags } from './output-options.js';
import { runCli } from './parser.js';
import { deploymentCleanupCommand } from './run-deployment.js';

/** Parses a mode's flags the way the mode declares them (BBR_TS_<FLAG> included) and reads its table. */
async function parseMode<T extends typeof DEPLOYMENT_MODE_OPTIONS | typeof DIRECTOR_MODE_OPTIONS>(table: T, args: string[]) {
  const argv = await declareOptions(yargs(args).env(ENV_PREFIX).exitProcess(false).fail(false), table).parseAsync();
  return readOptions(argv, table);
}

function text(stream: PassThrough): string {
  return (stream.read() as Buffer | null)?.toString() ?? '';
}

async function cli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const exitCode = await runCli(args, { stdout, stderr, signal: new AbortController().signal, forceSignal: new AbortController().signal, version: 'test' });
  return { exitCode, stdout: text(stdout), stderr: text(stderr) };
}

const LOGIN = ['--username', 'vcap', '--private-key-path', '/nonexistent/key'];

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the option tables', () => {
  it('name each option with its unit and give defaults from the table', async () => {
    const options = await parseMode(DIRECTOR_MODE_OPTIONS, ['--host', '10.0.0.6', ...LOGIN]);
    expect(options.connectTimeoutSeconds).toBe(CONNECTION_OPTIONS.connectTimeoutSeconds.default);
    expect(options.commandTimeoutSeconds).toBe(CONNECTION_OPTIONS.commandTimeoutSeconds.default);
    expect(options.transferStallTimeoutSeconds).toBe(CONNECTION_OPTIONS.transferStallTimeoutSeconds.default);
    expect(options.interruptTimeoutSeconds).toBe(CONNECTION_OPTIONS.interruptTimeoutSeconds.default);
    expect(options.scriptTimeoutSeconds).toBeUndefined();
    expect(Object.isFrozen(options)).toBe(true);
    const flags = directorFlags(options);
    expect(flags).toMatchObject({ host: '10.0.0.6', username: 'vcap', privateKeyPath: '/nonexistent/key', parallelism: 10, connectTimeoutSeconds: 30 });
    expect(Object.isFrozen(flags)).toBe(true);
  });

  it('read every flag of a connecting mode from BBR_TS_<FLAG>, the flag winning over the variable', async () => {
    expect(envVarOf(CONNECTION_OPTIONS.scriptTimeoutSeconds)).toBe('BBR_TS_SCRIPT_TIMEOUT');
    vi.stubEnv(envVarOf(CONNECTION_OPTIONS.scriptTimeoutSeconds), '90');
    vi.stubEnv(envVarOf(CONNECTION_OPTIONS.parallelism), '3');
    vi.stubEnv(envVarOf(LOGIN_OPTIONS.privateKeyPath), '/keys/bbr');
    const options = await parseMode(DEPLOYMENT_MODE_OPTIONS, ['--manifest', 'deploy.yml', '--username', 'vcap', '--parallelism', '4']);
    expect(options).toMatchObject({ scriptTimeoutSeconds: 90, parallelism: 4, privateKeyPath: '/keys/bbr' });
  });

  it("read BBR's director variables named in the table, only in director mode", async () => {
    const env = {
      [DEPLOYMENT_OPTIONS.target.env[0]]: '10.0.0.6',
      [LOGIN_OPTIONS.username.env[0]]: 'admin',
      [DEPLOYMENT_OPTIONS.password.env[0]]: 'secret',
      [DEPLOYMENT_OPTIONS.deployment.env[0]]: 'redis',
      [DEPLOYMENT_OPTIONS.caCert.env[1]]: '/ca.pem',
      [DEPLOYMENT_OPTIONS.gateway.env[0]]: 'ssh+socks5://jb@10.0.0.5:22?private-key=/jb',
    };
    const director = deploymentFlags(await parseMode(DEPLOYMENT_MODE_OPTIONS, []), env);
    expect(director).toMatchObject({
      username: 'admin',
      deployment: 'redis',
      gateway: env.BOSH_ALL_PROXY,
      gatewayFlag: undefined,
      director: { target: '10.0.0.6', client: 'admin', secret: 'secret', caCert: '/ca.pem', passwordFromFlag: false },
    });
    // With --manifest, BOSH_ENVIRONMENT and BOSH_CLIENT do not apply: the SSH user is the flag's.
    const manifest = deploymentFlags(await parseMode(DEPLOYMENT_MODE_OPTIONS, ['--manifest', 'deploy.yml', ...LOGIN]), env);
    expect(manifest.director).toBeUndefined();
    expect(manifest.username).toBe('vcap');
  });

  it('show each flag, its group and its environment variables in --help', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    expect((await cli(['deployment', '--help'])).exitCode).toBe(0);
    const help = printed.join('\n');
    for (const spec of Object.values(DEPLOYMENT_MODE_OPTIONS)) {
      expect(help).toContain(`--${spec.flag}`);
      expect(help).toContain(spec.group);
      for (const name of 'env' in spec && spec.env ? spec.env : []) expect(help).toContain(name);
    }
    expect(help).toContain('BBR_TS_<FLAG>');
  });

  it('refuse a flag defined twice for one command', () => {
    const again = defineOptions({ timeout: { flag: 'script-timeout', type: 'number', describe: 'again' } });
    expect(() => combineOptions(CONNECTION_OPTIONS, again)).toThrow(/--script-timeout is defined twice/);
    expect(() => combineOptions(CONNECTION_OPTIONS, { parallelism: CONNECTION_OPTIONS.parallelism })).toThrow(/parallelism is defined twice/);
  });

  it('refuse a bad value when the options are read', () => {
    expect(() => readOptions({ parallelism: 1.5 }, { parallelism: CONNECTION_OPTIONS.parallelism })).toThrow(UsageError);
  });
});

describe('bad values on the command line', () => {
  it.each([
    [['deployment', '--manifest', 'deploy.yml', ...LOGIN, '--parallelism', '0', 'pre-backup-check'], '--parallelism must be a whole number of at least 1'],
    [['deployment', '--manifest', 'deploy.yml', ...LOGIN, '--parallelism', '2.5', 'backup'], '--parallelism must be a whole number of at least 1'],
    [['deployment', '--manifest', 'deploy.yml', ...LOGIN, '--script-timeout', '-1', 'backup'], '--script-timeout must be a positive number of seconds'],
    [['deployment', '--manifest', 'deploy.yml', ...LOGIN, '--connect-timeout', '0', 'backup'], '--connect-timeout must be a positive number of seconds'],
    [['director', '--host', '10.0.0.6', ...LOGIN, '--command-timeout', '0', 'backup'], '--command-timeout must be a positive number of seconds'],
    [['director', '--host', '10.0.0.6', ...LOGIN, '--transfer-stall-timeout', 'soon', 'restore', '-a', 'x'], '--transfer-stall-timeout must be a positive number of seconds'],
    [['director', '--host', '10.0.0.6', ...LOGIN, '--interrupt-timeout', '-5', 'pre-backup-check'], '--interrupt-timeout must be a positive number of seconds'],
    [['deployment', '--manifest', 'deploy.yml', ...LOGIN, 'drill', '-a', 'x', '--verify', 'true', '--verify-timeout', '-1'], '--verify-timeout must be a positive number of seconds'],
    [['deployment', '--manifest', 'deploy.yml', ...LOGIN, 'drill', '-a', 'x', '--verify', 'true', '--verify-on', 'db'], '--verify-on db: expected GROUP/INDEX, e.g. db/0'],
    [['job', 'test', '/nonexistent', '--timeout', '0'], '--timeout must be a positive number of seconds'],
    [['deployment', '--manifest', 'deploy.yml', '--target', '10.0.0.6', ...LOGIN, 'backup'], 'pass either --manifest or --target, not both'],
    [['deployment', '--manifest', 'deploy.yml', 'backup'], 'Missing required arguments with --manifest: username, private-key-path'],
  ])('%j', async (args, message) => {
    const result = await cli(args);
    expect(result).toEqual({ exitCode: 1, stdout: '', stderr: `Error: ${message}\nRun with --help to see the flags and examples.\n` });
  });

  it('a bad value named in BBR_TS_<FLAG> is refused the same way', async () => {
    vi.stubEnv(envVarOf(CONNECTION_OPTIONS.parallelism), '0');
    expect((await cli(['director', '--host', '10.0.0.6', ...LOGIN, 'backup'])).stderr).toMatch(/^Error: --parallelism must be a whole number of at least 1\n/);
  });

  it('with JSON logs on stderr, the refusal goes to stdout so that stderr stays JSON', async () => {
    const result = await cli(['deployment', '--manifest', 'deploy.yml', ...LOGIN, '--log-format', 'json', '--parallelism', '0', 'backup']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Error: --parallelism must be a whole number of at least 1\n');
    for (const line of result.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('printed commands name the flags of the tables', () => {
  it('the cleanup command repeats every flag that changes how instances are reached, and parses back to the same run', async () => {
    const args = ['--manifest', 'my deploy.yml', '-u', 'vcap', '--key', '/k', '--known-hosts', '/kh', '--ssh-port', '2222', '--gateway', 'ssh+socks5://jb@10.0.0.5:22?private-key=/jb'];
    const flags = deploymentFlags(await parseMode(DEPLOYMENT_MODE_OPTIONS, args), {});
    const command = deploymentCleanupCommand(flags, 'backup-cleanup');
    expect(command).toBe(
      "bbr-ts deployment --manifest 'my deploy.yml' --username vcap --private-key-path /k --known-hosts /kh --ssh-port 2222 --gateway 'ssh+socks5://jb@10.0.0.5:22?private-key=/jb' backup-cleanup",
    );
    expect(deploymentCleanupCommand(deploymentFlags(await parseMode(DEPLOYMENT_MODE_OPTIONS, ['-m', 'm.yml', ...LOGIN, '--dangerously-skip-host-key-check']), {}), 'restore-cleanup')).toBe(
      'bbr-ts deployment --manifest m.yml --username vcap --private-key-path /nonexistent/key --dangerously-skip-host-key-check restore-cleanup',
    );
  });
});

describe('configureOutput', () => {
  it('builds the output without changing what it was given; JSON logs on stderr send the error report to stdout', () => {
    const streams = Object.freeze({ stdout: new PassThrough(), stderr: new PassThrough(), version: 'test' });
    const configured = configureOutput(outputFlags({ 'log-format': 'json' }), streams, { stdoutIsTTY: false, color: false });
    expect(configured.stderr).toBe(streams.stdout);
    expect(configureOutput(outputFlags({}), streams, { stdoutIsTTY: false, color: false }).stderr).toBe(streams.stderr);
  });
});
