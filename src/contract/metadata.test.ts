// parseJobMetadata: what BBR job metadata scripts print (contract §2.2) and how bad output is reported.
import { describe, expect, it } from 'vitest';
import { MetadataError } from '../errors.js';
import { METADATA_KEYS, parseJobMetadata, type JobMetadata } from './metadata.js';

const WHERE = { job: 'redis-server', instance: 'redis/0' };
const parse = (stdout: string): JobMetadata => parseJobMetadata(stdout, WHERE);

function errorOf(stdout: string): MetadataError {
  try {
    parse(stdout);
  } catch (error) {
    expect(error).toBeInstanceOf(MetadataError);
    const metadataError = error as MetadataError;
    // The problem alone, for callers that name the script their own way (job test's lint says "metadata ...").
    expect(metadataError.problem).toMatch(/^printed invalid (YAML|metadata): /);
    expect(metadataError.message).toBe(`metadata script of job 'redis-server' on redis/0 ${metadataError.problem}`);
    expect(metadataError.hint).toContain('sudo BBR_VERSION=');
    expect(metadataError.hint).toContain('/var/vcap/jobs/redis-server/bin/bbr/metadata');
    return metadataError;
  }
  throw new Error('expected a MetadataError');
}

const DEFAULTS: JobMetadata = {
  backupShouldBeLockedBefore: [],
  restoreShouldBeLockedBefore: [],
  skipBbrScripts: false,
  unknownKeys: [],
  warnings: [],
};

describe('parseJobMetadata', () => {
  it.each(['', '   \n', '---\n', '{}', '~', '# only a comment\n'])('treats %j as all defaults', (stdout) => {
    expect(parse(stdout)).toEqual(DEFAULTS);
  });

  it('reads lock ordering and skip_bbr_scripts as a release author writes them', () => {
    const stdout = `---
backup_should_be_locked_before:
- job_name: cloud_controller_ng
  release: capi
- job_name: uaa
  release: uaa
restore_should_be_locked_before:
- job_name: cloud_controller_ng
  release: capi
skip_bbr_scripts: false
`;
    expect(parse(stdout)).toEqual({
      ...DEFAULTS,
      backupShouldBeLockedBefore: [
        { jobName: 'cloud_controller_ng', release: 'capi' },
        { jobName: 'uaa', release: 'uaa' },
      ],
      restoreShouldBeLockedBefore: [{ jobName: 'cloud_controller_ng', release: 'capi' }],
    });
  });

  it('accepts skip_bbr_scripts as a YAML 1.1 boolean, as BBR (yaml.v2) does', () => {
    expect(parse('skip_bbr_scripts: true').skipBbrScripts).toBe(true);
    expect(parse('skip_bbr_scripts: yes').skipBbrScripts).toBe(true);
    expect(parse('skip_bbr_scripts: Off').skipBbrScripts).toBe(false);
    expect(parse('skip_bbr_scripts:').skipBbrScripts).toBe(false);
  });

  it('treats an empty lock-before key as no constraints', () => {
    expect(parse('backup_should_be_locked_before:\n').backupShouldBeLockedBefore).toEqual([]);
  });

  it('lists unknown keys without failing', () => {
    const metadata = parse('future_key: 1\nskip_bbr_scripts: false\nanother: [x]\n');
    expect(metadata.unknownKeys).toEqual(['future_key', 'another']);
    expect(metadata.warnings).toEqual([]);
  });

  it('keeps discontinued backup_name/restore_name and warns once', () => {
    const metadata = parse('backup_name: my-artifact\nrestore_name: 42\n');
    expect(metadata.backupName).toBe('my-artifact');
    expect(metadata.restoreName).toBe('42');
    expect(metadata.unknownKeys).toEqual([]);
    expect(metadata.warnings).toEqual([
      'discontinued metadata keys backup_name/restore_name found in job redis-server on redis/0; ' +
        'bbr will not be able to restore this backup artifact',
    ]);
    expect(parse('restore_name: r').warnings).toHaveLength(1);
  });

  it('reports invalid YAML with the parser position', () => {
    const error = errorOf('backup_should_be_locked_before: [\n- job_name: a');
    expect(error.message).toMatch(/printed invalid YAML: .* at line \d+, column \d+$/);
    expect(error.message).not.toContain('\n');
  });

  it('reports output that is not a mapping', () => {
    expect(errorOf('- job_name: a').message).toBe(
      "metadata script of job 'redis-server' on redis/0 printed invalid YAML: expected a mapping at the top level, got a list",
    );
    expect(errorOf('hello').message).toContain('got "hello"');
  });

  it.each([
    ['- job_name: a', 'job_name'],
    ['- { job_name: a }', 'release'],
    ['- { job_name: "", release: r }', 'job_name'],
    ['- { job_name: a, release: "  " }', 'release'],
    ['- { job_name: 7, release: r }', 'job_name'],
    ['- plain-string', 'string'],
  ])('rejects lock-before entry %j', (entry) => {
    const error = errorOf(`restore_should_be_locked_before:\n${entry}\n`);
    expect(error.message).toContain("restore_should_be_locked_before[0] must have both a non-empty 'job_name' and 'release'");
  });

  it('rejects known keys of the wrong type', () => {
    expect(errorOf('backup_should_be_locked_before: { job_name: a, release: r }').message).toContain(
      "'backup_should_be_locked_before' must be a list of {job_name, release}",
    );
    expect(errorOf('skip_bbr_scripts: maybe').message).toContain(`'skip_bbr_scripts' must be true or false, got "maybe"`);
    expect(errorOf('skip_bbr_scripts: 1').message).toContain("'skip_bbr_scripts' must be true or false, got 1");
    expect(errorOf('backup_name: [a]').message).toContain("'backup_name' must be a string, got a list");
  });
});

describe('METADATA_KEYS', () => {
  it('lists the keys of the BBR contract and cannot be changed', () => {
    expect([...METADATA_KEYS].sort()).toEqual([
      'backup_name',
      'backup_should_be_locked_before',
      'restore_name',
      'restore_should_be_locked_before',
      'skip_bbr_scripts',
    ]);
    expect(Object.isFrozen(METADATA_KEYS)).toBe(true);
  });
});
