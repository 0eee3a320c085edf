// `bbr-ts report SUMMARY.json --html FILE`: draws a past run from the file its --summary-json wrote, as the
// same self-contained page --report writes at the end of a run.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv } from 'yargs';
import { ArtifactError } from '../../errors.js';
import { renderHtmlReport } from '../../report/html-report.js';
import { parseSummaryJson } from '../../report/summary-file.js';
import { reportFailures } from '../exit.js';
import type { Runtime } from '../runtime.js';
import type { SetExitCode } from './types.js';

/** A summary of 200 jobs is well under 1 MiB; anything far larger is not one. */
const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;

export function reportMode(y: Argv, runtime: Runtime, setExit: SetExitCode): Argv {
  return y.command(
    'report <summary>',
    'Draw a past run from its --summary-json file as a self-contained HTML page (timeline, lock windows, critical path, failures)',
    (sub) =>
      sub
        .positional('summary', { type: 'string', demandOption: true, describe: 'a file written by --summary-json' })
        .option('html', { type: 'string', demandOption: true, describe: 'the HTML file to write' })
        .example('$0 report backups/last-run.json --html last-run.html', 'draw the last run'),
    async (argv) => setExit(await drawReport(runtime, argv.summary, argv.html)),
  );
}

async function drawReport(runtime: Runtime, summaryFile: string, htmlFile: string): Promise<number> {
  try {
    const size = (await stat(summaryFile).catch((error: Error) => {
      throw new ArtifactError(`cannot read ${summaryFile}: ${error.message}`, { hint: 'pass the file a run wrote with --summary-json' });
    })).size;
    if (size > MAX_SUMMARY_BYTES) throw new ArtifactError(`${summaryFile} is ${size} bytes: too large to be a --summary-json file`);
    const summary = parseSummaryJson(await readFile(summaryFile, 'utf8'), summaryFile);
    const html = renderHtmlReport(summary, { generator: `bbr-ts ${runtime.version} from ${path.basename(summaryFile)}` });
    try {
      await mkdir(path.dirname(path.resolve(htmlFile)), { recursive: true });
      await writeFile(htmlFile, html);
    } catch (error) {
      throw new ArtifactError(`cannot write ${htmlFile}: ${(error as Error).message}`, { hint: 'choose a writable --html path' });
    }
    runtime.stdout.write(`${htmlFile}: ${summary.timeline ? `${summary.timeline.rows.length} row(s)` : 'no timeline in the summary'}, ${summary.status}\n`);
    return 0;
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode || 1;
  }
}
