// Output flags every mode and subcommand shares (--log-format, --log-level, --debug, --log-file,
// --summary-json, --no-progress), and --report: runCli reads them once a command is chosen and builds the
// run's Output and Runtime from them before the command runs, so new commands get live view, logs and
// summaries for free.
import type { Writable } from 'node:stream';
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { createOutput, type Output } from '../report/output.js';
import { combineOptions, declareOptions, defineOptions, readOptions, type OptionsOf } from './option-table.js';

const GROUP = 'Output:';

export const OUTPUT_OPTIONS = defineOptions({
  progress: { flag: 'progress', type: 'boolean', default: true, describe: 'live progress view when stdout is a terminal; --no-progress prints one line per event instead', group: GROUP },
  logFormat: { flag: 'log-format', type: 'string', choices: ['text', 'json'], default: 'text', describe: 'format of the log (stderr or --log-file); json: one pino JSON object per line', group: GROUP },
  logLevel: { flag: 'log-level', type: 'string', choices: LOG_LEVELS, describe: 'least severe log level written (default: info with --log-format json or --log-file, else no log)', group: GROUP },
  debug: { flag: 'debug', type: 'boolean', default: false, describe: 'shorthand for --log-level debug', group: GROUP },
  logFile: { flag: 'log-file', type: 'string', describe: 'write the log to this file (appended) instead of stderr', group: GROUP },
  summaryJson: { flag: 'summary-json', type: 'string', describe: 'write the run\'s result (status, exit code, per-job timings and lock windows, artifact path and sizes) to this file as JSON', group: GROUP },
});

/** --report, on the commands that lock, back up or restore (backup, restore, drill), in every mode. */
export const REPORT_OPTIONS = defineOptions({
  report: {
    flag: 'report',
    type: 'string',
    describe: 'write the run as one self-contained HTML page: a timeline of every job\'s steps and locked window, lock waves, critical path, failures and the summary table',
    group: GROUP,
  },
});

export function outputOptions<T>(y: Argv<T>): Argv<T> {
  return declareOptions(y, OUTPUT_OPTIONS);
}

export function reportOption<T>(y: Argv<T>): Argv<T> {
  return declareOptions(y, REPORT_OPTIONS);
}

const ALL_OUTPUT_OPTIONS = combineOptions(OUTPUT_OPTIONS, REPORT_OPTIONS);
export type OutputFlags = OptionsOf<typeof ALL_OUTPUT_OPTIONS>;

/** The output flags of a parsed command line (--report is undefined on commands that do not take it). */
export function outputFlags(argv: Readonly<Record<string, unknown>>): OutputFlags {
  return readOptions(argv, ALL_OUTPUT_OPTIONS);
}

/** The log level in force: explicit flags first; json or a log file default to info; otherwise no log. */
export function effectiveLogLevel(flags: OutputFlags): LogLevel {
  if (flags.debug) return 'debug';
  if (flags.logLevel) return flags.logLevel;
  return flags.logFormat === 'json' || flags.logFile ? 'info' : 'silent';
}

export interface TerminalInfo {
  stdoutIsTTY: boolean;
  color: boolean;
}

/** What the run writes through: its Output, and where the human error report goes. */
export interface ConfiguredOutput {
  output: Output;
  /**
   * stderr, or stdout when JSON logs go to stderr: the human error report then moves to stdout so that stderr
   * stays one JSON object per line.
   */
  stderr: Writable;
}

/** Builds the Output for the parsed flags; nothing else is changed. */
export function configureOutput(flags: OutputFlags, streams: { stdout: Writable; stderr: Writable; version: string }, terminal: TerminalInfo): ConfiguredOutput {
  const level = effectiveLogLevel(flags);
  let logger;
  if (level !== 'silent') {
    try {
      logger = createLogger({ level, format: flags.logFormat, destination: flags.logFile ?? streams.stderr });
    } catch (error) {
      throw new UsageError(`cannot open --log-file ${flags.logFile}: ${(error as Error).message}`);
    }
  }
  const output = createOutput({
    stdout: streams.stdout,
    live: terminal.stdoutIsTTY && flags.progress,
    color: terminal.color,
    logger,
    summaryJsonPath: flags.summaryJson,
    reportPath: flags.report,
    generator: `bbr-ts ${streams.version}`,
  });
  const jsonOnStderr = logger !== undefined && !flags.logFile && flags.logFormat === 'json';
  return { output, stderr: jsonOnStderr ? streams.stdout : streams.stderr };
}
