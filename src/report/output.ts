// Routes one run's events to every renderer the operator asked for: the live view on a terminal or plain
// lines otherwise (stdout), structured logs (stderr or --log-file), the summary table at the end (stdout)
// and --summary-json. Commands only emit events; they get all of this through Runtime.events.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from '../log.js';
import type { EventSink, RunEvent } from './events.js';
import { createLiveView } from './live-view.js';
import { logEvents } from './log-events.js';
import { formatPlainLine } from './plain-lines.js';
import { SummaryCollector, type RunSummary } from './summary.js';
import { formatSummaryTable } from './summary-table.js';

export interface OutputOptions {
  stdout: Writable;
  /** Live view instead of line-per-event output (stdout is a terminal and --no-progress was not given). */
  live: boolean;
  color: boolean;
  logger?: Logger;
  summaryJsonPath?: string;
}

export interface Output {
  sink: EventSink;
  /** Ends the live view, flushes logs and writes --summary-json. Resolves with the summary written, if any. */
  finish(exitCode: number): Promise<RunSummary | undefined>;
}

export function createOutput(options: OutputOptions): Output {
  const collector = new SummaryCollector();
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
      collector.add(event);
      log?.(event);
      human(event);
    },
    async finish(exitCode) {
      live?.stop();
      options.logger?.flush();
      if (!options.summaryJsonPath) return undefined;
      const summary = collector.summary(exitCode);
      // The exit code the process ends with is authoritative (e.g. a usage error never started a run).
      const final: RunSummary = { ...summary, exitCode, status: exitCode === 0 ? 'succeeded' : 'failed' };
      await mkdir(path.dirname(path.resolve(options.summaryJsonPath)), { recursive: true });
      // 0600 when created: it holds failure messages with script output. An existing file keeps its mode.
      await writeFile(options.summaryJsonPath, JSON.stringify({ schemaVersion: 1, ...final }, null, 2) + '\n', { mode: 0o600 });
      return final;
    },
  };
}
