// The root pino logger: NDJSON, one event per line, on stderr or a --log-file, so that pipelines and log
// shippers get structured fields while human output stays on stdout. Secrets are redacted by path.
import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { escapeLine } from './report/escape.js';

export type { Logger };
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Field paths that may carry secrets; never written even when a caller logs them by mistake. */
export const REDACT_PATHS = [
  'password',
  'passphrase',
  'privateKey',
  'secret',
  '*.password',
  '*.passphrase',
  '*.privateKey',
  '*.secret',
  'env.BBR_TS_PASSWORD',
];

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  level: LogLevel;
  /** json: pino's NDJSON as is; text: `time LEVEL message key=value ...` for a person reading stderr. */
  format: LogFormat;
  /** A file path (appended to, created 0600 if missing: it holds script output) or a stream such as stderr. */
  destination: string | Writable;
}

/** One root logger per run; callers take child loggers with instance/job fields. */
export function createLogger(options: LoggerOptions): Logger {
  const destination =
    typeof options.destination === 'string'
      ? // Synchronous writes: the last lines (the failure, run finished) must be on disk when the process exits.
        pino.destination({ dest: options.destination, sync: true, mkdir: true, append: true, mode: 0o600 })
      : options.destination;
  return pino(
    {
      level: options.level,
      base: { name: 'bbr-ts' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.format === 'json' ? destination : asTextLines(destination),
  );
}

interface LineSink {
  write(text: string): unknown;
}

/**
 * Re-encodes pino's JSON lines as `time LEVEL message key=value ...` (no extra dependency for this). The line
 * is escaped whole: values carry instance output, and this text is read on a terminal (stderr, `less`, `tail`).
 */
function asTextLines(out: LineSink): LineSink {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        const { time, level, msg, name: _name, ...fields } = JSON.parse(line) as Record<string, unknown>;
        const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
        out.write(escapeLine(`${String(time)} ${String(level).toUpperCase()} ${String(msg)}${rest.length ? ' ' + rest.join(' ') : ''}`) + '\n');
      }
      return true;
    },
  };
}
