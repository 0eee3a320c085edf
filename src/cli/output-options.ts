// Output flags every mode and subcommand shares (--log-format, --log-level, --debug, --log-file,
// --summary-json, --no-progress), and the yargs middleware that turns them into the run's Output before
// any command handler runs, so new commands get live view, logs and summaries for free through Runtime.
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../log.js';
import { createOutput, type Output } from '../report/output.js';
import type { Runtime } from './runtime.js';

const GROUP = 'Output:';

export function outputOptions<T>(y: Argv<T>) {
  return y
    .option('progress', { type: 'boolean', default: true, describe: 'live progress view when stdout is a terminal; --no-progress prints one line per event instead', group: GROUP })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'format of the log (stderr or --log-file); json: one pino JSON object per line', group: GROUP })
    .option('log-level', { choices: LOG_LEVELS, describe: 'least severe log level written (default: info with --log-format json or --log-file, else no log)', group: GROUP })
    .option('debug', { type: 'boolean', default: false, describe: 'shorthand for --log-level debug', group: GROUP })
    .option('log-file', { type: 'string', describe: 'write the log to this file (appended) instead of stderr', group: GROUP })
    .option('summary-json', { type: 'string', describe: 'write the run\'s result (status, exit code, per-job timings and lock windows, artifact path and sizes) to this file as JSON', group: GROUP });
}

/** --report, on the commands that lock, back up or restore (backup, restore, drill), in every mode. */
export function reportOption<T>(y: Argv<T>) {
  return y.option('report', {
    type: 'string',
    describe: 'write the run as one self-contained HTML page: a timeline of every job\'s steps and locked window, lock waves, critical path, failures and the summary table',
    group: GROUP,
  });
}

export interface OutputFlags {
  progress: boolean;
  logFormat: LogFormat;
  logLevel?: LogLevel;
  debug: boolean;
  logFile?: string;
  summaryJson?: string;
  report?: string;
}

export function outputFlags(argv: Record<string, unknown>): OutputFlags {
  return {
    progress: argv.progress !== false,
    logFormat: (argv['log-format'] as LogFormat | undefined) ?? 'text',
    logLevel: argv['log-level'] as LogLevel | undefined,
    debug: argv.debug === true,
    logFile: argv['log-file'] as string | undefined,
    summaryJson: argv['summary-json'] as string | undefined,
    report: typeof argv.report === 'string' ? argv.report : undefined,
  };
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

/**
 * Builds the Output for the parsed flags and points `runtime` at it (events, and stderr: when JSON logs go
 * to stderr, the human error report moves to stdout so that stderr stays one JSON object per line).
 */
export function configureOutput(flags: OutputFlags, runtime: Runtime, terminal: TerminalInfo): Output {
  const level = effectiveLogLevel(flags);
  let logger;
  if (level !== 'silent') {
    try {
      logger = createLogger({ level, format: flags.logFormat, destination: flags.logFile ?? runtime.stderr });
    } catch (error) {
      throw new UsageError(`cannot open --log-file ${flags.logFile}: ${(error as Error).message}`);
    }
  }
  const output = createOutput({
    stdout: runtime.stdout,
    live: terminal.stdoutIsTTY && flags.progress,
    color: terminal.color,
    logger,
    summaryJsonPath: flags.summaryJson,
    reportPath: flags.report,
    generator: `bbr-ts ${runtime.version}`,
  });
  if (logger && !flags.logFile && flags.logFormat === 'json') runtime.stderr = runtime.stdout;
  return output;
}
