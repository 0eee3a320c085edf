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
import { declareOptions, defineOptions, readOptions } from '../option-table.js';
import type { Choose } from './types.js';

/** A summary of 200 jobs is well under 1 MiB; anything far larger is not one. */
const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;

const REPORT_COMMAND_OPTIONS = defineOptions({
  summary: { flag: 'summary', type: 'string', positional: true, required: true, describe: 'a file written by --summary-json' },
  html: { flag: 'html', type: 'string', required: true, describe: 'the HTML file to write' },
});

export function reportMode(y: Argv, choose: Choose): Argv {
  return y.command(
    'report <summary>',
    'Draw a past run from its --summary-json file as a self-contained HTML page (timeline, lock windows, critical path, failures)',
    (sub) => declareOptions(sub, REPORT_COMMAND_OPTIONS).example('$0 report backups/last-run.json --html last-run.html', 'draw the last run'),
    (argv) =>
      choose((runtime) => {
        const options = readOptions(argv, REPORT_COMMAND_OPTIONS);
        return drawReport(runtime, options.summary, options.html);
      }),
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
