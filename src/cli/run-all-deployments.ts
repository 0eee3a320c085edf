// `--all-deployments` (BBR's pre-backup-check, backup and backup-cleanup over every deployment of a director):
// the director's deployment list, each deployment run on its own (its own director session, SSH user and
// artifact directory), at most ALL_DEPLOYMENTS_PARALLELISM at once as in BBR, deployments without backup
// scripts skipped, then one summary with a line per deployment and the exit code ORed over them.
// Each deployment's own report (errors and next steps) is kept and printed under its name, after the summary,
// so parallel runs never interleave their lines.
import { Writable } from 'node:stream';
import pLimit from 'p-limit';
import { DirectorClient } from '../director/client.js';
import { DirectorError, UsageError } from '../errors.js';
import type { Operation } from '../orchestrate/events.js';
import { escapeLine, escapeLines } from '../report/escape.js';
import { reportFailures } from './exit.js';
import { directorOptionsFor, gatewayFor, runDeploymentOperation, type DeploymentFlags } from './run-deployment.js';
import type { Workflow } from './run-operation.js';
import type { Runtime } from './runtime.js';

/** BBR runs at most 10 deployments at once (executor/deployment/parallel.go). */
const ALL_DEPLOYMENTS_PARALLELISM = 10;

const ALLOWED: readonly Operation[] = ['pre-backup-check', 'backup', 'backup-cleanup'];

interface DeploymentResult {
  name: string;
  exitCode: number;
  skipped: boolean;
  artifactPath?: string;
  report: string;
}

export async function runAllDeployments(runtime: Runtime, flags: DeploymentFlags, operation: Operation, workflow: Workflow): Promise<number> {
  try {
    if (!ALLOWED.includes(operation)) throw new UsageError(`--all-deployments works with ${ALLOWED.join(', ')} only, as in BBR`);
    if (!flags.director) throw new UsageError('--all-deployments needs --target: the deployments come from the director');
    const names = await listDeployments(flags, runtime.signal);
    const limit = pLimit(ALL_DEPLOYMENTS_PARALLELISM);
    const results = await Promise.all(names.map((name) => limit(() => runOne(runtime, flags, operation, workflow, name))));
    runtime.stdout.write(summary(operation, results));
    for (const r of results) {
      if (r.report.trim() !== '') runtime.stderr.write(`\n[${escapeLine(r.name)}]\n${r.report}`);
    }
    return results.reduce((code, r) => code | r.exitCode, 0);
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode || 1;
  }
}

async function listDeployments(flags: DeploymentFlags, signal: AbortSignal): Promise<string[]> {
  const gateway = flags.gateway === undefined ? undefined : gatewayFor(flags.gateway, flags);
  let names: string[];
  let where: string;
  try {
    const client = await DirectorClient.connect(await directorOptionsFor(flags.director!, gateway), signal);
    where = client.where;
    names = await client.deployments(signal);
  } finally {
    gateway?.close();
  }
  if (names.length === 0) throw new DirectorError(`the director at ${where} has no deployments`, { hint: 'check --target and that the user may read deployments (`bosh deployments`)' });
  return names;
}

async function runOne(runtime: Runtime, flags: DeploymentFlags, operation: Operation, workflow: Workflow, name: string): Promise<DeploymentResult> {
  let report = '';
  let artifactPath: string | undefined;
  let skipped = false;
  const captured: Runtime = {
    ...runtime,
    stdout: sink(() => {}),
    stderr: sink((text) => {
      report += text;
    }),
    events: (event) => {
      if (event.type === 'run-finished') artifactPath = event.artifactPath;
    },
  };
  // "Every deployment with backup scripts": one without any is skipped, not failed (BBR skips them too). The
  // workflow sees a deployment with nothing to do and stops there, after its own local checks.
  const skipping: Workflow = {
    ...workflow,
    run: (session) =>
      workflow.run({
        ...session,
        open: async () => {
          const opened = await session.open();
          if (!opened.deployment || opened.deployment.jobs.some((job) => job.scripts.has('backup'))) return opened;
          skipped = true;
          return { failures: [] };
        },
      }),
  };
  const exitCode = await runDeploymentOperation(captured, { ...flags, deployment: name, allDeployments: false }, operation, skipping);
  return { name, exitCode, skipped, artifactPath, report };
}

function summary(operation: Operation, results: readonly DeploymentResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const status = r.exitCode !== 0 ? `FAILED (exit ${r.exitCode})` : r.skipped ? 'skipped: no backup scripts' : 'ok';
    const where = r.exitCode === 0 && !r.skipped && r.artifactPath ? `  ${r.artifactPath}` : '';
    return `  ${escapeLine(r.name).padEnd(width)}  ${status}${escapeLines(where)}`;
  });
  const failed = results.filter((r) => r.exitCode !== 0).length;
  const skipped = results.filter((r) => r.exitCode === 0 && r.skipped).length;
  const ok = results.length - failed - skipped;
  return `${operation} --all-deployments: ${ok} ok, ${skipped} skipped, ${failed} failed\n${lines.join('\n')}\n`;
}

function sink(write: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(chunk.toString());
      done();
    },
  });
}
