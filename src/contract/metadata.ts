// Parses the stdout of a job's `bin/bbr/metadata` script (BBR contract §2.2, instance/metadata.go).
// Lenient like BBR about unknown keys, strict about the types of the keys it knows.
import { parseDocument } from 'yaml';
import { MetadataError } from '../errors.js';
import type { LockOrderEntry } from '../order/index.js';
import { BBR_COMPATIBLE_VERSION } from './bbr-version.js';

export interface JobMetadata {
  backupShouldBeLockedBefore: LockOrderEntry[];
  restoreShouldBeLockedBefore: LockOrderEntry[];
  skipBbrScripts: boolean;
  /** Discontinued in BBR; kept so restore can refuse jobs that set restore_name (BBR restorer behaviour). */
  backupName?: string;
  restoreName?: string;
  /** Top-level keys bbr-ts does not know; not an error, but worth a debug line. */
  unknownKeys: string[];
  warnings: string[];
}

export interface MetadataSource {
  job: string;
  /** `group/index` */
  instance: string;
}

export const METADATA_KEYS: readonly string[] = Object.freeze([
  'backup_should_be_locked_before',
  'restore_should_be_locked_before',
  'skip_bbr_scripts',
  'backup_name',
  'restore_name',
]);

// BBR unmarshals with yaml.v2 (YAML 1.1), where a script printing `skip_bbr_scripts: yes` means true;
// `yaml` parses YAML 1.2, where that is a string.
const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = {
  ...{ true: true, yes: true, y: true, on: true },
  ...{ false: false, no: false, n: false, off: false },
};

export function parseJobMetadata(stdout: string, where: MetadataSource): JobMetadata {
  const { job, instance } = where;
  const subject = `metadata script of job '${job}' on ${instance}`;
  const script = `/var/vcap/jobs/${job}/bin/bbr/metadata`;
  const rerun = `run it by hand on ${instance} to see its output: sudo BBR_VERSION=${BBR_COMPATIBLE_VERSION} ${script}`;
  const invalid = (problem: string, cause?: unknown): MetadataError => {
    const what = `printed invalid YAML: ${problem}`;
    return new MetadataError(`${subject} ${what}`, { problem: what, hint: rerun, cause });
  };
  const wrong = (problem: string): MetadataError => {
    const what = `printed invalid metadata: ${problem}`;
    return new MetadataError(`${subject} ${what}`, { problem: what, hint: `fix the metadata script of job '${job}' (BBR job metadata contract); ${rerun}` });
  };

  const doc = parseDocument(stdout);
  const [yamlError] = doc.errors;
  if (yamlError) throw invalid(yamlError.message.split('\n')[0]?.replace(/:$/, '') ?? yamlError.code, yamlError);

  const root: unknown = doc.toJS();
  const metadata: JobMetadata = {
    backupShouldBeLockedBefore: [],
    restoreShouldBeLockedBefore: [],
    skipBbrScripts: false,
    unknownKeys: [],
    warnings: [],
  };
  // Empty output, `---` and `~` all mean "no metadata": every key takes its default.
  if (root === null || root === undefined) return metadata;
  if (typeof root !== 'object' || Array.isArray(root)) {
    throw invalid(`expected a mapping at the top level, got ${describe(root)}`);
  }
  const fields = root as Record<string, unknown>;

  const lockBefore = (key: string): LockOrderEntry[] => {
    const value = fields[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw wrong(`'${key}' must be a list of {job_name, release}, got ${describe(value)}`);
    return value.map((entry, i): LockOrderEntry => {
      const isMapping = typeof entry === 'object' && entry !== null && !Array.isArray(entry);
      const jobName: unknown = isMapping ? (entry as Record<string, unknown>)['job_name'] : undefined;
      const release: unknown = isMapping ? (entry as Record<string, unknown>)['release'] : undefined;
      if (!isNonEmptyString(jobName) || !isNonEmptyString(release)) {
        throw wrong(`${key}[${i}] must have both a non-empty 'job_name' and 'release', got ${describe(entry)}`);
      }
      return { jobName, release };
    });
  };
  metadata.backupShouldBeLockedBefore = lockBefore('backup_should_be_locked_before');
  metadata.restoreShouldBeLockedBefore = lockBefore('restore_should_be_locked_before');

  const skip = fields['skip_bbr_scripts'];
  if (skip !== undefined && skip !== null) {
    const word = typeof skip === 'string' ? skip.toLowerCase() : undefined;
    const flag = typeof skip === 'boolean' ? skip : word === undefined ? undefined : YAML11_BOOLEANS[word];
    if (flag === undefined) throw wrong(`'skip_bbr_scripts' must be true or false, got ${describe(skip)}`);
    metadata.skipBbrScripts = flag;
  }

  for (const [key, field] of [['backup_name', 'backupName'], ['restore_name', 'restoreName']] as const) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') throw wrong(`'${key}' must be a string, got ${describe(value)}`);
    metadata[field] = String(value);
  }
  if (metadata.backupName !== undefined || metadata.restoreName !== undefined) {
    // BBR compat: the warning of instance/job_finder.go. Backup keeps default naming; restore refuses
    // jobs that set restore_name.
    metadata.warnings.push(
      `discontinued metadata keys backup_name/restore_name found in job ${job} on ${instance}; ` +
        `bbr will not be able to restore this backup artifact`,
    );
  }

  metadata.unknownKeys = Object.keys(fields).filter((key) => !METADATA_KEYS.includes(key));
  return metadata;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return JSON.stringify(value);
}
