// The plan of a run as text (`backup --dry-run`): lock waves in order, the scripts each job would run,
// the unlock waves and where the artifact would go. Rendered the same on a terminal and in a pipe.
import { escapeLine } from './escape.js';
import type { PlanDescription, PlannedJob } from '../orchestrate/events.js';

export function formatPlan(plan: PlanDescription): string {
  const name = (j: PlannedJob) => `${j.instance} ${j.job}`;
  const waves = (list: PlannedJob[][]) =>
    list.length === 0 ? ['     (no job has this script)'] : list.map((wave, i) => `     wave ${i + 1}: ${wave.map(name).join(', ')}`);
  const lines = [
    `Plan: ${plan.operation} of deployment '${plan.deployment}' (dry run: no lock, ${plan.mainScript} or unlock script runs)`,
    `  1. ${plan.lockScript}, one wave after the other (jobs within a wave in parallel):`,
    ...waves(plan.lockWaves),
    `  2. ${plan.mainScript} on every job at once (up to --parallelism):`,
    ...(plan.mainJobs.length === 0
      ? ['     (no job has this script)']
      : plan.mainJobs.map((j) => `     ${name(j)}${j.artifactFile ? ` -> ${j.artifactFile}` : ''}`)),
    `  3. ${plan.unlockScript}, in reverse lock order (always, once a lock was attempted):`,
    ...waves(plan.unlockWaves),
  ];
  if (plan.artifactPath) {
    lines.push(
      plan.operation === 'backup'
        ? `  4. drain every artifact into ${plan.artifactPath}/ (the timestamp is taken when the backup starts), then write metadata`
        : `  4. read the artifact from ${plan.artifactPath}/`,
    );
  }
  // Job names come from instances: each line is escaped whole, so a newline in a name cannot add a line.
  return lines.map(escapeLine).join('\n');
}
