// Routes one run's events to every renderer the operator asked for: the live view on a terminal or plain
// lines otherwise (stdout), structured logs (stderr or --log-file), the summary table at the end (stdout)
// and --summary-json and --report. Commands only emit events; they get all of this through Runtime.events.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from '../log.js';
import type { EventSink, RunEvent } from '../orchestrate/events.js';
import { createLiveView } from './live-view.js';
import { logEvents } from './log-events.js';
import { formatPlainLine } from './plain-lines.js';
import { renderHtmlReport } from './html-report.js';
import { SummaryCollector, type RunSummary } from './summary.js';
import { summaryFileContent } from './summary-file.js';
import { formatSummaryTable } from './summary-table.js';
import { TimelineCollector } from './timeline.js';

export interface OutputOptions {
  stdout: Writable;
  /** Live view instead of line-per-event output (stdout is a terminal and --no-progress was not given). */
  live: boolean;
  color: boolean;
  logger?: Logger;
  summaryJsonPath?: string;
  /** --report: the run as a self-contained HTML page (timeline of every lock window). */
  reportPath?: string;
  /** Names the writer in the page's footer (`bbr-ts <version>`). */
  generator?: string;
}

export interface Output {
  sink: EventSink;
  /**
   * Ends the live view, flushes logs and writes --summary-json and --report. Resolves with the summary written,
   * if any; rejects with an error naming the flag whose file could not be written.
   */
  finish(exitCode: number): Promise<RunSummary | undefined>;
}

export function createOutput(options: OutputOptions): Output {
  const collector = new SummaryCollector();
  const timeline = new TimelineCollector();
  const live = options.live ? createLiveView(options.stdout, { color: options.color }) : undefined;
  const log = options.logger ? logEvents(options.logger) : undefined;
  let sawRun = false;

  const human = (event: RunEvent) => {
    if (live) live.sink(event);
    else {
      const line = formatPlainLine(event);
      if (line !== undefined) options.stdout.write(line + '\n');
    }
    if (event.type === 'run-finished' && sawRun) {
      options.stdout.write('\n' + formatSummaryTable(collector.summary(), { color: options.color }));
    }
  };

  return {
    sink: (event) => {
      if (event.type === 'run-started') sawRun = true;
      const at = new Date();
      collector.add(event, at);
      timeline.add(event, at.getTime());
      log?.(event);
      human(event);
    },
    async finish(exitCode) {
      live?.stop();
      options.logger?.flush();
      if (!options.summaryJsonPath && !options.reportPath) return undefined;
      const summary = collector.summary(exitCode);
      const drawn = timeline.timeline();
      // The exit code the process ends with is authoritative (e.g. a usage error never started a run).
      const final: RunSummary = { ...summary, exitCode, status: exitCode === 0 ? 'succeeded' : 'failed', ...(drawn ? { timeline: drawn } : {}) };
      // schemaVersion 1 stays: fields are only ever added (timeline was), never changed in meaning.
      if (options.summaryJsonPath) await writeOutputFile('--summary-json', options.summaryJsonPath, JSON.stringify(summaryFileContent(final), null, 2) + '\n');
      if (options.reportPath) await writeOutputFile('--report', options.reportPath, renderHtmlReport(final, { generator: options.generator }));
      return final;
    },
  };
}

async function writeOutputFile(flag: string, file: string, text: string): Promise<void> {
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    // 0600 when created: both files hold failure messages with script output. An existing file keeps its mode.
    await writeFile(file, text, { mode: 0o600 });
  } catch (error) {
    throw new Error(`cannot write ${flag} ${file}: ${(error as Error).message}`, { cause: error });
  }
}
