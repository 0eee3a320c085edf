// Entry point: wires process signals to the run's abort signals and sets the exit status. The only module
// that touches process signals or process.exitCode.
import { readFileSync } from 'node:fs';
import { runCli } from './cli/parser.js';
import { CancelledError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const interrupt = new AbortController();
const force = new AbortController();
let interrupts = 0;

function onSignal(signal: NodeJS.Signals): void {
  interrupts++;
  if (interrupts === 1) {
    interrupt.abort(new CancelledError(`received ${signal}`));
    process.stderr.write(`\n${signal} received: stopping. Running scripts are being cancelled, then locked jobs are unlocked. Press Ctrl-C again to abandon unlocking.\n`);
  } else if (interrupts === 2) {
    process.stderr.write(`\nWARNING: abandoning now may leave jobs LOCKED (their users see downtime until someone unlocks them).\nPress Ctrl-C once more to abandon unlock anyway, or wait for unlock to finish.\n`);
  } else {
    force.abort(new CancelledError(`received ${signal} three times`));
    process.stderr.write('\nAbandoning unlock and cleanup. Run the cleanup command printed below once this exits.\n');
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
  forceSignal: force.signal,
  version: pkg.version,
  stdoutIsTTY: process.stdout.isTTY === true,
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
});
process.exitCode = exitCode;
