// Connects to every instance (one connection each, reused for the whole run), finds each job's scripts and
// reads its metadata. Every instance is tried, so one report names every unreachable or broken instance.
import { BBR_COMPATIBLE_VERSION, metadataEnv } from '../contract/bbr-version.js';
import { parseJobMetadata, type JobMetadata } from '../contract/metadata.js';
import { CAPTURE_LIMIT_TEXT } from '../contract/run-script.js';
import type { ScriptName } from '../contract/paths.js';
import { BbrError, MetadataError } from '../errors.js';
import type { InstanceTarget } from '../manifest/index.js';
import type { RunContext } from './context.js';
import type { ConnectInstance, Instance, InstanceDiscovery, ScriptOutcome } from './instance.js';
import { runAll } from './run-waves.js';
import { runJobScript } from './script-runner.js';

export interface DeployedJob {
  name: string;
  release: string;
  /** `group/index` */
  instance: string;
  group: string;
  index: number;
  scripts: ReadonlySet<ScriptName>;
  metadata: JobMetadata;
  /** The manifest sets `properties.bbr.backup_one_restore_all: true` for this job. */
  backupOneRestoreAll: boolean;
  /**
   * The group's bootstrap instance. BBR asks the director; a manifest has no director, so bbr-ts takes index 0,
   * the instance BOSH makes bootstrap unless instances were deleted or moved between AZs.
   */
  bootstrap: boolean;
  /** The instance the job runs on (the instance port). */
  handle: Instance;
}

export interface DeployedInstance {
  target: InstanceTarget;
  handle: Instance;
  jobs: DeployedJob[];
  /** Jobs with bbr scripts whose metadata prints `skip_bbr_scripts: true` (not in `jobs`). */
  disabledJobs: string[];
  /** An earlier run left /var/vcap/store/bbr-backup here (seen at discovery). */
  artifactRootExists: boolean;
}

export interface OpenDeployment {
  instances: DeployedInstance[];
  /** Every job of every instance, in manifest order, without jobs that set skip_bbr_scripts. */
  jobs: DeployedJob[];
  close(): void;
}

export interface OpenDeploymentOptions {
  targets: readonly InstanceTarget[];
  connect: ConnectInstance;
  /** Director mode matches lock order by job name only, as BBR does. */
  withReleases: boolean;
}

export async function openDeployment(
  ctx: RunContext,
  options: OpenDeploymentOptions,
): Promise<{ deployment: OpenDeployment; failures: BbrError[] }> {
  const instances: DeployedInstance[] = [];
  const failures: BbrError[] = [];
  const started = Date.now();
  ctx.events({ type: 'phase-started', phase: 'connect', jobs: undefined });
  const openInstance = async (target: InstanceTarget): Promise<void> => {
    const started = Date.now();
    const handle = await options.connect(target, ctx.signal);
    ctx.events({ type: 'instance-connected', instance: target.name, address: `${target.host}:${target.port}`, durationMs: Date.now() - started });
    const instance: DeployedInstance = { target, handle, jobs: [], disabledJobs: [], artifactRootExists: false };
    instances.push(instance);
    const discoveredAt = Date.now();
    const found = await handle.discover(ctx.signal);
    instance.artifactRootExists = found.artifactRootExists;
    const deployed = await deployJobs(ctx, target, handle, found.jobs, options.withReleases);
    instance.jobs = deployed.jobs;
    instance.disabledJobs = deployed.disabled;
    ctx.events({
      type: 'instance-discovered',
      instance: target.name,
      jobs: instance.jobs.map((j) => j.name),
      durationMs: Date.now() - discoveredAt,
    });
  };
  const outcomes = await runAll(
    options.targets,
    async (target) => {
      try {
        await openInstance(target);
      } catch (error) {
        // Reported when it happens and naming the instance, so logs, --summary-json and --report carry it too.
        const failure = asBbrError(error);
        ctx.events({ type: 'failure', error: failure, instance: target.name });
        throw failure;
      }
    },
    { parallelism: ctx.parallelism, signal: ctx.signal },
  );
  for (const outcome of outcomes) {
    if (outcome.error !== undefined) failures.push(asBbrError(outcome.error));
  }
  // One phase for connect, discovery and metadata: the fixed cost a run pays before any job is touched.
  ctx.events({ type: 'phase-finished', phase: 'connect', durationMs: Date.now() - started, failures: failures.length });
  // Keep manifest order whatever order the connections finished in.
  const order = new Map(options.targets.map((t, i) => [t.name, i]));
  instances.sort((a, b) => order.get(a.target.name)! - order.get(b.target.name)!);
  const deployment: OpenDeployment = {
    instances,
    jobs: instances.flatMap((i) => i.jobs),
    close: () => instances.forEach((i) => i.handle.close()),
  };
  return { deployment, failures };
}

async function deployJobs(
  ctx: RunContext,
  target: InstanceTarget,
  handle: Instance,
  found: InstanceDiscovery['jobs'],
  withReleases: boolean,
): Promise<{ jobs: DeployedJob[]; disabled: string[] }> {
  const jobs: DeployedJob[] = [];
  const disabled: string[] = [];
  for (const job of found) {
    const metadata = job.scripts.has('metadata') ? await readMetadata(ctx, handle, job.name) : parseJobMetadata('', { job: job.name, instance: handle.name });
    for (const warning of metadata.warnings) ctx.events({ type: 'warning', message: warning, instance: target.name, job: job.name });
    if (metadata.skipBbrScripts) {
      disabled.push(job.name);
      continue;
    }
    const inManifest = target.jobs.find((j) => j.name === job.name);
    jobs.push({
      name: job.name,
      release: withReleases ? (inManifest?.release ?? '') : '',
      instance: target.name,
      group: target.group,
      index: target.index,
      scripts: job.scripts,
      metadata,
      backupOneRestoreAll: inManifest?.backupOneRestoreAll === true,
      bootstrap: target.bootstrap ?? target.index === 0,
      handle,
    });
  }
  return { jobs, disabled };
}

async function readMetadata(ctx: RunContext, handle: Instance, job: string): Promise<JobMetadata> {
  let output: ScriptOutcome;
  try {
    output = await runJobScript(ctx, handle, { job, script: 'metadata', env: metadataEnv(ctx.bbrTsVersion), signal: ctx.signal });
  } catch (error) {
    throw new MetadataError(`metadata script of job '${job}' on ${handle.name} failed: ${(error as Error).message}`, {
      cause: error,
      hint: `run it by hand on the instance to see why: sudo BBR_VERSION=${BBR_COMPATIBLE_VERSION} /var/vcap/jobs/${job}/bin/bbr/metadata`,
    });
  }
  // Parsing a cut text could silently drop keys (a lock order, skip_bbr_scripts) that came after the cut.
  if (output.stdoutTruncated) {
    throw new MetadataError(`metadata script of job '${job}' on ${handle.name} printed more than ${CAPTURE_LIMIT_TEXT}; bbr-ts reads no metadata that long`, {
      hint: `job metadata is a few lines of YAML: fix the metadata script (run it by hand to see its output: sudo BBR_VERSION=${BBR_COMPATIBLE_VERSION} /var/vcap/jobs/${job}/bin/bbr/metadata)`,
    });
  }
  return parseJobMetadata(output.stdout, { job, instance: handle.name });
}

export function asBbrError(error: unknown): BbrError {
  if (error instanceof BbrError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BbrError(message, { cause: error });
}
