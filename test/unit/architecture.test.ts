// Keeps the layering honest: each library has one home, and the pure and rendering layers stay apart from
// the workflows. Reads import lines only; no dependency needed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = sourceFiles(SRC).map((file) => {
  const lines = [...readFileSync(file, 'utf8').matchAll(/^import(\s+type\b)?[^'"]*['"]([^'"]+)['"]/gm)];
  return {
    rel: path.relative(SRC, file),
    imports: lines.map((m) => m[2]!),
    /** Specifiers imported by a value import (not `import type`). */
    valueImports: lines.filter((m) => m[1] === undefined).map((m) => m[2]!),
  };
});

function importersOf(specifier: (s: string) => boolean): string[] {
  return files.filter((f) => f.imports.some(specifier)).map((f) => f.rel).sort();
}

describe('architecture', () => {
  it('only ssh/ imports ssh2', () => {
    const importers = importersOf((s) => s === 'ssh2');
    expect(importers).toContain('ssh/connection.ts');
    expect(importers.filter((f) => !f.startsWith('ssh/'))).toEqual([]);
  });

  it('only artifact/ reads tars (tar-stream is left to tests; artifact/tar-reader.ts models GNU tar itself)', () => {
    const importers = importersOf((s) => s === 'tar-stream');
    expect(importers.filter((f) => !f.startsWith('artifact/'))).toEqual([]);
  });

  it('only cli/ imports yargs', () => {
    const importers = importersOf((s) => s.startsWith('yargs'));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith('cli/'))).toEqual([]);
  });

  it('only artifact/s3-store.ts imports the AWS SDK (object storage has one home)', () => {
    const importers = importersOf((s) => s.startsWith('@aws-sdk/') || s.startsWith('@smithy/'));
    expect(importers).toEqual(['artifact/s3-store.ts']);
  });

  it('order/ is pure: it imports nothing but itself and errors', () => {
    const order = files.filter((f) => f.rel.startsWith('order/'));
    for (const file of order) {
      for (const spec of file.imports) expect(spec.startsWith('./') || spec === '../errors.js', `${file.rel} imports ${spec}`).toBe(true);
    }
  });

  it('report/ imports nothing of orchestrate/ but the event types, and nothing of cli/ (it renders, it does not run work)', () => {
    const report = files.filter((f) => f.rel.startsWith('report/'));
    const offenders = report.flatMap((f) =>
      f.imports
        .filter((s) => s.includes('/cli/') || (s.includes('/orchestrate/') && (s !== '../orchestrate/events.js' || f.valueImports.includes(s))))
        .map((s) => `${f.rel} imports ${s}`),
    );
    expect(offenders).toEqual([]);
    // The producer owns the types: they are read from orchestrate/, not kept in report/.
    expect(report.filter((f) => f.imports.includes('../orchestrate/events.js')).length).toBeGreaterThan(0);
  });

  it('orchestrate/ never imports cli/', () => {
    const offenders = files.filter((f) => f.rel.startsWith('orchestrate/') && f.imports.some((s) => s.includes('/cli/')));
    expect(offenders.map((f) => f.rel)).toEqual([]);
  });

  it('orchestrate/ reaches instances and files only through its ports: no ssh/, node:fs or execa', () => {
    const offenders = files
      .filter((f) => f.rel.startsWith('orchestrate/'))
      .flatMap((f) => f.imports.filter((s) => s.includes('/ssh/') || s === 'node:fs' || s === 'node:fs/promises' || s === 'execa').map((s) => `${f.rel} imports ${s}`));
    expect(offenders).toEqual([]);
  });

  it('only instance/ and cli/ wire ssh/ to the instance port (its SSH implementation, and the composition)', () => {
    const both = files
      .filter((f) => f.imports.some((s) => s.includes('/ssh/')) && f.imports.some((s) => s.endsWith('/orchestrate/instance.js')))
      .map((f) => f.rel);
    expect(both).toContain('instance/ssh-instance.ts');
    expect(both.filter((f) => !f.startsWith('instance/') && !f.startsWith('cli/'))).toEqual([]);
  });

  it('only main.ts touches process signals or the exit code', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !file.endsWith('main.ts'))
      .filter((file) => /process\.(on\(['"]SIG|exitCode|exit\()/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
