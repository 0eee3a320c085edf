// What `bbr-ts job test` finds: one result per check, in the order the checks ran, so the CLI can render
// them for people or as JSON for a release repository's CI.

export type CheckKind = 'lint' | 'run';
/** `warn` never fails the test; `skip` says a check could not apply (e.g. no restore script). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  kind: CheckKind;
  /** Stable identifier for CI filters, e.g. `script-executable`, `backup-wrote-files`. */
  check: string;
  status: CheckStatus;
  /** The script the check concerns (file name under bin/bbr/), when it concerns one. */
  script?: string;
  message: string;
  /** What to change; only on failures and warnings. */
  hint?: string;
  /** Only for steps of the contract run. */
  step?: ScriptStep;
}

export interface ScriptStep {
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, capped. */
  output: string;
  env: Record<string, string>;
}

export interface JobTestReport {
  job: string;
  jobDir: string;
  passed: boolean;
  checks: CheckResult[];
  /** Where the contract run's $BBR_ARTIFACT_DIRECTORY was, and why there; absent when nothing ran. */
  scratch?: {
    /** What backup got as $BBR_ARTIFACT_DIRECTORY. */
    artifactDirectory: string;
    reason: string;
    /** The scratch folder, when kept (--keep). */
    kept?: string;
  };
}

export type OnlyChecks = 'lint' | 'run' | undefined;
