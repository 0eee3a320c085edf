// Reads and writes the `metadata` file of a backup directory, byte-compatible with BBR (backup/metadata.go,
// contract §4.2) so that Go bbr and bbr-ts can restore each other's backups.
import { isMap, isScalar, parseDocument, stringify, visit } from 'yaml';
import { ArtifactError } from '../errors.js';
import { nameProblem, quoteName } from '../names.js';

/** `./relative/path` → sha256 hex of that file inside the artifact tar. */
export interface ArtifactChecksums {
  [relativePath: string]: string;
}

export interface InstanceArtifacts {
  /** instance group */
  name: string;
  index: string;
  /** one per job; `name` is the job name */
  artifacts: { name: string; checksums: ArtifactChecksums }[];
}

export interface BackupMetadata {
  instances: InstanceArtifacts[];
  customArtifacts: { name: string; checksums: ArtifactChecksums }[];
  backupActivity: { startTime: Date; finishTime?: Date };
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

export function serializeBackupMetadata(meta: BackupMetadata): string {
  // Key order and omissions follow the yaml.v2 struct tags in BBR's backup/metadata.go.
  const doc: Record<string, unknown> = {};
  if (meta.instances.length > 0) {
    doc['instances'] = meta.instances.map((instance) => ({
      name: instance.name,
      index: String(instance.index),
      artifacts: instance.artifacts.map(artifactToYaml),
    }));
  }
  if (meta.customArtifacts.length > 0) doc['custom_artifacts'] = meta.customArtifacts.map(artifactToYaml);
  const { startTime, finishTime } = meta.backupActivity;
  doc['backup_activity'] = {
    start_time: formatBbrTime(startTime),
    ...(finishTime === undefined ? {} : { finish_time: formatBbrTime(finishTime) }),
  };
  // yaml.v2 style: sequences not indented under their key, and no line folding of long keys.
  return stringify(doc, { indentSeq: false, lineWidth: 0 });
}

function artifactToYaml(artifact: { name: string; checksums: ArtifactChecksums }): Record<string, unknown> {
  // yaml.v2 writes map keys sorted, which also makes our output deterministic.
  const sorted = Object.keys(artifact.checksums).sort();
  const checksums = Object.fromEntries(sorted.map((key) => [key, artifact.checksums[key]]));
  return { name: artifact.name, checksums };
}

export function parseBackupMetadata(text: string, file: string): BackupMetadata {
  const fail = (problem: string, cause?: unknown): ArtifactError =>
    new ArtifactError(`${file}: ${problem}`, {
      hint: 'the backup metadata file is damaged or was not written by bbr; use an intact copy of this backup',
      cause,
    });

  // The failsafe schema reads every scalar as a string, so `index: 0` is "0" and a hex digest that happens to
  // look like a number cannot be turned into one.
  // yaml's own duplicate-key check compares every pair of keys: minutes for an artifact of 60,000 files. The
  // same check is done below with a Set.
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
  const [yamlError] = doc.errors;
  if (yamlError) throw fail(`invalid YAML: ${yamlError.message.split('\n')[0]?.replace(/:$/, '')}`, yamlError);
  let duplicate: string | undefined;
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (seen.has(key)) duplicate ??= key;
        seen.add(key);
      }
    },
  });
  if (duplicate !== undefined) throw fail(`invalid YAML: the key ${JSON.stringify(duplicate.slice(0, 200))} appears twice in one mapping`);
  const root: unknown = doc.toJS();
  if (!isMapping(root)) throw fail('expected a mapping with instances and backup_activity at the top level');

  const instances = listAt(root, 'instances', 'instances', fail).map((value, i): InstanceArtifacts => {
    const where = `instances[${i}]`;
    if (!isMapping(value)) throw fail(`${where} must be a mapping with name, index and artifacts`);
    const name = requireName(value, 'name', where, fail);
    const index = requireName(value, 'index', `${where} (${name})`, fail);
    const label = `${where} (${name}/${index})`;
    const artifacts = listAt(value, 'artifacts', `${label}.artifacts`, fail).map((artifact, j) =>
      parseArtifact(artifact, `${label}.artifacts[${j}]`, fail),
    );
    return { name, index, artifacts };
  });
  const customArtifacts = listAt(root, 'custom_artifacts', 'custom_artifacts', fail).map((artifact, i) =>
    parseArtifact(artifact, `custom_artifacts[${i}]`, fail),
  );

  const activity = root['backup_activity'];
  if (activity !== undefined && activity !== '' && !isMapping(activity)) {
    throw fail('backup_activity must be a mapping with start_time and finish_time');
  }
  const time = (key: string): Date | undefined => {
    const value = isMapping(activity) ? activity[key] : undefined;
    if (value === undefined || value === '') return undefined;
    const expected = 'a time like 2024/05/01 10:00:01 UTC';
    if (typeof value !== 'string') throw fail(`backup_activity.${key} must be ${expected}`);
    try {
      return parseBbrTime(value);
    } catch (error) {
      throw fail(`backup_activity.${key} ${JSON.stringify(value)} is not ${expected}`, error);
    }
  };
  // BBR's reader accepts a file without backup_activity (the fields stay empty) and restore never needs
  // the times, so a missing start_time becomes the Unix epoch instead of an error.
  const startTime = time('start_time') ?? new Date(0);
  const finishTime = time('finish_time');
  return { instances, customArtifacts, backupActivity: finishTime ? { startTime, finishTime } : { startTime } };
}

type Fail = (problem: string, cause?: unknown) => ArtifactError;

function parseArtifact(value: unknown, where: string, fail: Fail): { name: string; checksums: ArtifactChecksums } {
  if (!isMapping(value)) throw fail(`${where} must be a mapping with name and checksums`);
  const name = requireName(value, 'name', where, fail);
  const raw = value['checksums'];
  // yaml.v2 writes an empty map as `{}`; an empty value (`checksums:`) means the same.
  if (raw !== undefined && raw !== '' && !isMapping(raw)) {
    throw fail(`${where} (${name}).checksums must be a mapping`);
  }
  const checksums: ArtifactChecksums = {};
  for (const [path, digest] of Object.entries(isMapping(raw) ? raw : {})) {
    if (!path.startsWith('./')) {
      throw fail(`${where} (${name}): checksum key ${quoteName(path)} must be a path starting with './'`);
    }
    if (typeof digest !== 'string' || !SHA256_HEX.test(digest)) {
      throw fail(`${where} (${name}): checksum of ${quoteName(path)} is not a 64-digit sha256 hex string`);
    }
    checksums[path] = digest.toLowerCase();
  }
  return { name, checksums };
}

function listAt(parent: Record<string, unknown>, key: string, where: string, fail: Fail): unknown[] {
  const value = parent[key];
  if (value === undefined || value === '') return [];
  if (!Array.isArray(value)) throw fail(`${where} must be a list`);
  return value;
}

function requireString(parent: Record<string, unknown>, key: string, where: string, fail: Fail): string {
  const value = parent[key];
  if (typeof value !== 'string' || value.trim() === '') throw fail(`${where} has no '${key}'`);
  return value;
}

/**
 * A string that becomes part of a file name in the backup directory (`<name>-<index>-<artifact>.tar`). The
 * directory may come from anywhere: a name like `j/../../other/secret` would make verify and restore read a
 * file outside it.
 */
function requireName(parent: Record<string, unknown>, key: string, where: string, fail: Fail): string {
  const value = requireString(parent, key, where, fail);
  const refused = nameProblem(value);
  if (refused) throw fail(`${where} ${key} ${quoteName(value)} cannot be used: ${refused}`);
  return value;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Go layout `2006/01/02 15:04:05 MST`. BBR writes the bbr host's local zone abbreviation; we always write UTC.
const BBR_TIME = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([A-Za-z]+|[+-]\d{2}(?::?\d{2})?)$/;

/** Offsets in minutes of common abbreviations that mean one thing only (CST, IST, BST... are ambiguous). */
const ZONE_OFFSETS: Readonly<Record<string, number>> = {
  ...{ UTC: 0, GMT: 0, Z: 0, UCT: 0, WET: 0, WEST: 60, CET: 60, CEST: 120, EET: 120, EEST: 180, MSK: 180 },
  ...{ EST: -300, EDT: -240, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420, AKST: -540, AKDT: -480 },
  ...{ HST: -600, JST: 540, KST: 540, AWST: 480, ACST: 570, AEST: 600, AEDT: 660, NZST: 720, NZDT: 780 },
};

export function formatBbrTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('cannot format an invalid Date as a BBR time');
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}`;
  return `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/**
 * Parses a BBR metadata time. Numeric zones (`+0100`, `-07:00`, `+05`) and the abbreviations above are honoured;
 * an unknown abbreviation reads as UTC wall-clock time, which is what Go's time.Parse does with one too.
 */
export function parseBbrTime(text: string): Date {
  const match = BBR_TIME.exec(text.trim());
  if (!match) throw new ArtifactError(`invalid time ${JSON.stringify(text)}; expected YYYY/MM/DD HH:MM:SS ZONE`);
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map(Number);
  const zone = match[7] ?? 'UTC';
  const wallClockMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const wallClock = new Date(wallClockMs);
  const isCalendarDay = wallClock.getUTCMonth() === month - 1 && wallClock.getUTCDate() === day;
  if (!isCalendarDay || hour > 23 || minute > 59 || second > 59) {
    throw new ArtifactError(`invalid time ${JSON.stringify(text)}; the date or time of day is out of range`);
  }
  return new Date(wallClockMs - zoneOffsetMinutes(zone) * 60_000);
}

function zoneOffsetMinutes(zone: string): number {
  const numeric = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!numeric) return ZONE_OFFSETS[zone.toUpperCase()] ?? 0;
  const [, sign, hours = '0', minutes = '0'] = numeric;
  return (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
}
