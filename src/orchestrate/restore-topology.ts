// Whether a backup fits the deployment it is restored into (BBR's restorable check, bbr-contract.md §3.4 step 3).
// Pure, and it lists every mismatch at once so one run tells the operator everything to fix.
import type { BackupMetadata } from '../artifact/metadata-file.js';
import { PreconditionError } from '../errors.js';
import type { DeployedJob } from './open-deployment.js';

export interface TopologyInput {
  deploymentName: string;
  metadata: BackupMetadata;
  /** Every deployed instance as `group/index`, jobs or not. */
  instances: readonly string[];
  jobs: readonly Pick<DeployedJob, 'name' | 'instance' | 'scripts' | 'metadata'>[];
}

export function findRestoreMismatches(input: TopologyInput): PreconditionError[] {
  const { deploymentName, metadata } = input;
  const problems: string[] = [];
  const hint = 'restore into a deployment with the same instance groups, instance counts and jobs as the one backed up';
  const restorable = input.jobs.filter((job) => job.scripts.has('restore'));
  const deployed = new Set(input.instances);
  const inBackup = new Set<string>();

  const failures: PreconditionError[] = [];
  for (const job of input.jobs) {
    // BBR compat: restore refuses jobs whose metadata sets the discontinued restore_name (restorable_step.go).
    if (job.metadata.restoreName !== undefined) {
      failures.push(
        new PreconditionError(`job ${job.name} on ${job.instance} sets the discontinued metadata key restore_name; bbr cannot restore this backup artifact`, {
          hint: 'upgrade the release to one whose metadata script no longer prints backup_name/restore_name',
        }),
      );
    }
  }
  if (restorable.length === 0) {
    failures.push(new PreconditionError(`deployment '${deploymentName}' has no restore scripts`, { hint: 'check that the jobs ship bin/bbr/restore scripts' }));
  }

  for (const instance of metadata.instances) {
    const name = `${instance.name}/${instance.index}`;
    if (!deployed.has(name)) {
      problems.push(`the backup has instance ${name}, which the deployment does not have`);
      continue;
    }
    for (const artifact of instance.artifacts) {
      inBackup.add(`${name} ${artifact.name}`);
      if (!restorable.some((job) => job.instance === name && job.name === artifact.name)) {
        problems.push(`the backup has an artifact of job ${artifact.name} on ${name}, but ${name} has no job ${artifact.name} with a restore script`);
      }
    }
  }
  for (const job of restorable) {
    if (!inBackup.has(`${job.instance} ${job.name}`)) {
      problems.push(`job ${job.name} on ${job.instance} has a restore script, but the backup holds no artifact for it`);
    }
  }
  for (const custom of metadata.customArtifacts) {
    problems.push(`the backup has custom artifact ${custom.name} (backup_one_restore_all), which bbr-ts cannot restore`);
  }
  for (const problem of problems) {
    failures.push(new PreconditionError(`deployment '${deploymentName}' does not match the structure of the backup: ${problem}`, { hint }));
  }
  return failures;
}
