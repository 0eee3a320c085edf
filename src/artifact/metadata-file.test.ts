// The backup `metadata` file: exact BBR layout on write, and everything Go bbr writes accepted on read.
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '../errors.js';
import {
  formatBbrTime,
  parseBackupMetadata,
  parseBbrTime,
  serializeBackupMetadata,
  type BackupMetadata,
} from './metadata-file.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const FILE = '/backups/redis_20240501T100001Z/metadata';

const META: BackupMetadata = {
  instances: [
    {
      name: 'redis',
      index: '0',
      artifacts: [
        { name: 'redis-server', checksums: { './redis-server/dump.rdb': B, './redis-server/appendonly.aof': A } },
        { name: 'redis-broker', checksums: {} },
      ],
    },
  ],
  customArtifacts: [{ name: 'redis-server-redis-backup-one-restore-all', checksums: { './dump': A } }],
  backupActivity: { startTime: new Date('2024-05-01T10:00:01Z'), finishTime: new Date('2024-05-01T10:02:40Z') },
};

const EXPECTED = `instances:
- name: redis
  index: "0"
  artifacts:
  - name: redis-server
    checksums:
      ./redis-server/appendonly.aof: ${A}
      ./redis-server/dump.rdb: ${B}
  - name: redis-broker
    checksums: {}
custom_artifacts:
- name: redis-server-redis-backup-one-restore-all
  checksums:
    ./dump: ${A}
backup_activity:
  start_time: 2024/05/01 10:00:01 UTC
  finish_time: 2024/05/01 10:02:40 UTC
`;

function errorOf(text: string): ArtifactError {
  try {
    parseBackupMetadata(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).message.startsWith(`${FILE}: `)).toBe(true);
    return error as ArtifactError;
  }
  throw new Error('expected an ArtifactError');
}

describe('serializeBackupMetadata', () => {
  it('writes the BBR layout: quoted index, sorted checksums, `{}` for empty ones', () => {
    expect(serializeBackupMetadata(META)).toBe(EXPECTED);
  });

  it('omits empty instances, empty custom_artifacts and an unset finish_time', () => {
    const text = serializeBackupMetadata({
      instances: [],
      customArtifacts: [],
      backupActivity: { startTime: new Date('2024-05-01T10:00:01Z') },
    });
    expect(text).toBe('backup_activity:\n  start_time: 2024/05/01 10:00:01 UTC\n');
  });

  it('round-trips', () => {
    expect(parseBackupMetadata(serializeBackupMetadata(META), FILE)).toEqual(META);
  });
});

describe('parseBackupMetadata', () => {
  it('reads a file written by Go bbr (director backup, local time zone, unquoted index)', () => {
    const text = `instances:
- name: bosh
  index: 0
  artifacts:
  - name: director
    checksums:
      ./bosh-director-artifact-file: 413609e95fe6525db2d9b8192ec56fc0b848dcbec6f430e3272e77bcd4dc675e
  - name: blobstore
    checksums: {}
backup_activity:
  start_time: 2019/02/27 10:10:30 GMT
  finish_time: 2019/02/27 10:11:02 CET
`;
    expect(parseBackupMetadata(text, FILE)).toEqual({
      instances: [
        {
          name: 'bosh',
          index: '0',
          artifacts: [
            {
              name: 'director',
              checksums: {
                './bosh-director-artifact-file': '413609e95fe6525db2d9b8192ec56fc0b848dcbec6f430e3272e77bcd4dc675e',
              },
            },
            { name: 'blobstore', checksums: {} },
          ],
        },
      ],
      customArtifacts: [],
      backupActivity: { startTime: new Date('2019-02-27T10:10:30Z'), finishTime: new Date('2019-02-27T09:11:02Z') },
    });
  });

  it('accepts a missing finish_time, quoted indexes and empty checksums/artifacts values', () => {
    const text = `instances:\n- name: web\n  index: "1"\n  artifacts:\n  - name: j\n    checksums:\n- name: idle\n  index: 2\n  artifacts: []\nbackup_activity:\n  start_time: 2024/05/01 10:00:01 UTC\n`;
    const meta = parseBackupMetadata(text, FILE);
    expect(meta.instances.map((i) => [i.name, i.index, i.artifacts])).toEqual([
      ['web', '1', [{ name: 'j', checksums: {} }]],
      ['idle', '2', []],
    ]);
    expect(meta.backupActivity).toEqual({ startTime: new Date('2024-05-01T10:00:01Z') });
  });

  it('accepts a file without backup_activity, reading the start time as the epoch', () => {
    const meta = parseBackupMetadata(`custom_artifacts:\n- name: c\n  checksums: {'./x': ${A}}\n`, FILE);
    expect(meta.instances).toEqual([]);
    expect(meta.customArtifacts).toEqual([{ name: 'c', checksums: { './x': A } }]);
    expect(meta.backupActivity).toEqual({ startTime: new Date(0) });
  });

  it('keeps a digest that looks like a number as text and lowercases hex', () => {
    const digits = '1'.repeat(64);
    const text = `instances:\n- name: w\n  index: 0\n  artifacts:\n  - name: j\n    checksums:\n      ./d: ${digits}\n      ./u: ${'AB'.repeat(32)}\n`;
    expect(parseBackupMetadata(text, FILE).instances[0]?.artifacts[0]?.checksums).toEqual({
      './d': digits,
      './u': 'ab'.repeat(32),
    });
  });

  it.each([
    ['instances: [\n', /invalid YAML: .* at line \d+, column \d+$/],
    ['- just a list', /expected a mapping/],
    ['instances: {}', /instances must be a list/],
    ['instances:\n- index: 0\n  artifacts: []', /instances\[0\] has no 'name'/],
    ['instances:\n- name: web\n  artifacts: []', /instances\[0\] \(web\) has no 'index'/],
    ['instances:\n- name: web\n  index: 0\n  artifacts:\n  - checksums: {}', /instances\[0\] \(web\/0\)\.artifacts\[0\] has no 'name'/],
    ['instances:\n- name: web\n  index: 0\n  artifacts: {}', /instances\[0\] \(web\/0\)\.artifacts must be a list/],
    [`instances:\n- name: web\n  index: 0\n  artifacts:\n  - name: j\n    checksums:\n      ./f: abc`, /\(j\): checksum of "\.\/f" is not a 64-digit sha256/],
    [`instances:\n- name: web\n  index: 0\n  artifacts:\n  - name: j\n    checksums:\n      f: ${A}`, /\(j\): checksum key "f" must be a path starting with '\.\/'/],
    ['custom_artifacts:\n- name: c\n  checksums: [x]', /custom_artifacts\[0\] \(c\)\.checksums must be a mapping/],
    ['backup_activity: yesterday', /backup_activity must be a mapping/],
    ['backup_activity:\n  start_time: 2024-05-01T10:00:01Z', /backup_activity\.start_time "2024-05-01T10:00:01Z" is not a time/],
    ['backup_activity:\n  start_time: 2024/02/30 10:00:01 UTC', /backup_activity\.start_time/],
    ['instances:\n- name: ../x\n  index: 0\n  artifacts: []', /instances\[0\] name "\.\.\/x" cannot be used: it contains '\/'/],
    ['instances:\n- name: web\n  index: ".."\n  artifacts: []', /instances\[0\] \(web\) index "\.\." cannot be used/],
    ['instances:\n- name: web\n  index: 0\n  artifacts:\n  - name: "j/../../other/secret"', /artifacts\[0\] name "j\/\.\.\/\.\.\/other\/secret" cannot be used/],
    ['custom_artifacts:\n- name: "c\\e]0;x"', /custom_artifacts\[0\] name "c\\x1b\]0;x" cannot be used: it contains a control character/],
    [`custom_artifacts:\n- name: c\n  checksums:\n    ./f: ${A}\n    ./f: ${B}`, /the key "\.\/f" appears twice in one mapping/],
  ])('rejects %j', (text, message) => {
    const error = errorOf(text);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(error.hint).toBeTruthy();
  });
});

describe('BBR times', () => {
  it('formats in UTC with the Go layout', () => {
    expect(formatBbrTime(new Date('2024-05-01T10:00:01.999Z'))).toBe('2024/05/01 10:00:01 UTC');
    expect(formatBbrTime(new Date('2009-11-10T23:00:00+01:00'))).toBe('2009/11/10 22:00:00 UTC');
    expect(() => formatBbrTime(new Date(Number.NaN))).toThrow(RangeError);
  });

  it.each([
    ['2019/02/27 10:10:30 UTC', '2019-02-27T10:10:30Z'],
    ['2019/02/27 10:10:30 GMT', '2019-02-27T10:10:30Z'],
    ['2019/02/27 10:10:30 Z', '2019-02-27T10:10:30Z'],
    ['2019/02/27 10:10:30 CET', '2019-02-27T09:10:30Z'],
    ['2019/07/27 10:10:30 PDT', '2019-07-27T17:10:30Z'],
    ['2019/02/27 10:10:30 +0100', '2019-02-27T09:10:30Z'],
    ['2019/02/27 10:10:30 -07:00', '2019-02-27T17:10:30Z'],
    ['2019/02/27 10:10:30 +0530', '2019-02-27T04:40:30Z'],
    ['2019/02/27 10:10:30 -03', '2019-02-27T13:10:30Z'],
    ['2019/02/27 10:10:30 IST', '2019-02-27T10:10:30Z'],
    ['2019/02/27 10:10:30 XYZT', '2019-02-27T10:10:30Z'],
  ])('parses %s', (text, iso) => {
    expect(parseBbrTime(text).toISOString()).toBe(new Date(iso).toISOString());
  });

  it.each(['', '2019/02/27 10:10:30', '2019-02-27 10:10:30 UTC', '2019/13/01 00:00:00 UTC', '2019/02/27 24:00:00 UTC'])(
    'rejects %j',
    (text) => {
      expect(() => parseBbrTime(text)).toThrow(ArtifactError);
    },
  );

  it('round-trips whole seconds', () => {
    const date = new Date('2031-12-31T23:59:59Z');
    expect(parseBbrTime(formatBbrTime(date))).toEqual(date);
  });
});

describe('parseBackupMetadata with a repeated key', () => {
  // yaml's own pairwise check is off (minutes for 60,000 files; test/e2e/tar-trust-backup.test.ts reads such a
  // backup); the Set-based one must still refuse what Go's yaml.v2 refuses.
  it('refuses a path listed twice in one checksums map', () => {
    const digest = 'e'.repeat(64);
    const text = `instances:\n- name: db\n  index: "0"\n  artifacts:\n  - name: db\n    checksums:\n      ./a: ${digest}\n      ./b: ${digest}\n      ./a: ${digest}\n`;
    expect(() => parseBackupMetadata(text, 'metadata')).toThrow(/metadata: invalid YAML: the key "\.\/a" appears twice in one mapping/);
  });
});
