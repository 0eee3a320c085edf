// Entry point: wires process signals to the run's abort signals and sets the exit status. The only module
// that touches process signals or process.exitCode.
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface as ReadlineInterface } from 'node:readline';
import { guardUnfinishedRun } from './cli/exit.js';
import { runCli } from './cli/parser.js';
import { CancelledError, InternalError } from './errors.js';
import type { RunEvent } from './orchestrate/events.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const interrupt = new AbortController();
const force = new AbortController();
// Every running command listens on these for as long as it runs: parallelism x (tar + checksum channel) is
// more than the default 10, and Node would print a MaxListenersExceededWarning on stderr mid-run.
setMaxListeners(0, interrupt.signal, force.signal);
let interrupts = 0;
let prompt: ReadlineInterface | undefined;
// Once a lock or unlock phase has started, jobs may be locked and an interrupt has something to protect. Before
// that (artifact verify, restore's offline checks, connecting), there is nothing to unlock and no reason to say so.
let locking = false;
const watchLocking = (event: RunEvent): void => {
  if (event.type === 'phase-started' && (event.phase === 'lock' || event.phase === 'unlock')) locking = true;
};

function forceStop(why: string): void {
  if (force.signal.aborted) return;
  force.abort(new CancelledError(why));
  if (locking) process.stderr.write('\nAbandoning unlock and cleanup. Jobs may stay LOCKED: run the cleanup command printed below once this exits.\n');
}

// First signal: stop starting work, cancel running scripts, then unlock (vitest's graceful-then-forced pattern;
// BBR instead exits at once without unlocking). Second: warn, and on a terminal ask for confirmation; without a
// terminal a third signal confirms. The unlock keeps running meanwhile.
function onSignal(signal: NodeJS.Signals): void {
  interrupts++;
  if (!locking) {
    // No lock or unlock phase has started: the first signal stops the run, a second one stops waiting for it.
    if (interrupts === 1) {
      interrupt.abort(new CancelledError(`received ${signal}`));
      process.stderr.write(`\n${signal} received: stopping.\n`);
    } else {
      forceStop(`received ${signal} ${interrupts} times`);
    }
    return;
  }
  if (interrupts === 1) {
    interrupt.abort(new CancelledError(`received ${signal}`));
    process.stderr.write(`\n${signal} received: stopping. Running scripts are being cancelled, then locked jobs are unlocked. Press Ctrl-C again to abandon unlocking.\n`);
  } else if (interrupts === 2) {
    process.stderr.write('\nWARNING: abandoning now may leave jobs LOCKED (their users see downtime until someone unlocks them).\n');
    if (process.stdin.isTTY) {
      prompt = createInterface({ input: process.stdin, output: process.stderr });
      // The terminal is in raw mode while asking: Ctrl-C reaches readline, not the signal handler.
      prompt.on('SIGINT', () => {
        prompt?.close();
        forceStop('received SIGINT while asking for confirmation');
      });
      prompt.question('Abandon unlocking anyway? [yes/no] ', (answer) => {
        prompt?.close();
        prompt = undefined;
        if (answer.trim().toLowerCase() === 'yes') forceStop('the operator confirmed abandoning unlock');
        else process.stderr.write('Continuing to unlock.\n');
      });
    } else {
      process.stderr.write('Press Ctrl-C once more to abandon unlock anyway, or wait for unlock to finish.\n');
    }
  } else {
    forceStop(`received ${signal} ${interrupts} times`);
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// Last resort: an error that no code path handled (a stream 'error' event without a listener, a throw in a
// callback) is a bug, but dying of it mid-run would leave jobs locked and /var/vcap/store/bbr-backup behind on
// every instance. Stop the run as an interrupt would instead: running scripts are cancelled, locked jobs are
// unlocked, remote artifacts removed, nothing is kept as a good backup, and the exit status says it failed.
let internalErrors = 0;
function onInternalError(error: unknown): void {
  internalErrors++;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `\ninternal error: ${message.replace(/[\p{Cc}]/gu, ' ')} (this is a bug in bbr-ts; rerun with --debug and report it).` +
      (locking ? ' Stopping: running scripts are cancelled, then locked jobs are unlocked.\n' : ' Stopping.\n'),
  );
  if (!interrupt.signal.aborted) interrupt.abort(new InternalError(message));
}
process.on('uncaughtException', onInternalError);
// A reader that went away (a dropped ssh session, `| head`) makes every later write fail with EPIPE. Unhandled,
// each failed write became an internal error whose own message failed again: a loop that never ended. The run
// carries on instead (it still unlocks and cleans up); --log-file and --summary-json keep its record.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
process.on('unhandledRejection', onInternalError);

const finished = guardUnfinishedRun(process, process.stderr);
const exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
  forceSignal: force.signal,
  version: pkg.version,
  stdoutIsTTY: process.stdout.isTTY === true,
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  events: watchLocking,
});
finished();
// A pending confirmation prompt must not keep the process alive once the run is over.
prompt?.close();
// A run stopped by an internal error never exits 0, even if every phase it reached succeeded.
process.exitCode = internalErrors > 0 ? exitCode | 1 : exitCode;
