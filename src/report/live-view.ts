// The TTY live view: a frame redrawn in place (log-update) showing each instance group's instances, the
// step each is in and drain progress with rate and ETA; failures and warnings are printed above the frame
// as they happen and stay. Used only when stdout is a terminal and --no-progress was not given.
import type { Writable } from 'node:stream';
import { styleText } from 'node:util';
import { createLogUpdate } from 'log-update';
import type { EventSink, RunEvent } from '../orchestrate/events.js';
import { escapeLine, escapeLines } from './escape.js';
import { LiveState } from './live-state.js';
import { formatPlan } from './plan-text.js';

const REFRESH_MS = 100;

export interface LiveView {
  sink: EventSink;
  /** Stops redrawing and leaves the last frame on screen. */
  stop(): void;
}

export function createLiveView(stream: Writable & { columns?: number }, options: { color: boolean; now?: () => number }): LiveView {
  const now = options.now ?? Date.now;
  // A pseudo-terminal may report 0 rows/columns (no size set); log-update would then show nothing.
  const sized = {
    write: (text: string) => stream.write(text),
    get columns() {
      return stream.columns || 100;
    },
    get rows() {
      return (stream as { rows?: number }).rows || 40;
    },
  };
  // showCursor: hiding it would write escape codes to stderr, which may be a log file.
  const update = createLogUpdate(sized as unknown as NodeJS.WriteStream, { showCursor: true });
  const state = new LiveState();
  // Colour is decided once (a terminal, no NO_COLOR); styleText's own check would also drop it whenever CI is set.
  const paint = (format: Parameters<typeof styleText>[0], text: string) => (options.color ? styleText(format, text, { validateStream: false }) : text);
  let timer: NodeJS.Timeout | undefined;
  let active = false;
  const shown = new WeakSet<object>();

  const render = () => {
    if (active) update(state.frame(now()));
  };
  /** Writes lines that stay (failures, warnings, the plan) above the live frame: escaped, then coloured. */
  const persist = (text: string, colour?: 'red' | 'yellow') => {
    if (active) update.clear();
    const safe = escapeLines(text);
    stream.write((colour ? paint(colour, safe) : safe) + '\n');
    render();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (active) {
      render();
      update.done();
    }
    active = false;
  };

  const sink = (event: RunEvent) => {
    state.apply(event, now());
    switch (event.type) {
      case 'run-started':
        active = true;
        timer = setInterval(render, REFRESH_MS);
        timer.unref();
        break;
      case 'plan-ready':
        persist(formatPlan(event.plan));
        return;
      case 'script-finished':
        if (event.error) shown.add(event.error);
        if (event.error) persist(escapeLine(`✗ ${event.instance} ${event.job}: ${event.script} failed: ${firstLine(event.error.message)}`), 'red');
        return;
      case 'failure':
        // Script failures were shown when the script finished; the rest (drain, cleanup, connection) show here.
        if (!shown.has(event.error) && !shown.has(event.error.cause as object)) persist(escapeLine(`✗ ${firstLine(event.error.message)}`), 'red');
        return;
      case 'artifact-skipped':
        persist(escapeLine(`! skipped ${event.file}: ${event.reason}`), 'yellow');
        return;
      case 'warning':
        persist(escapeLine(`! ${[event.instance, event.job].filter(Boolean).join(' ')}${event.instance || event.job ? ': ' : ''}${event.message}`), 'yellow');
        return;
      case 'transfer-progress':
        return; // the timer redraws; a redraw per chunk would cost more than the drain
      case 'run-finished':
        stop();
        return;
      default:
        break;
    }
    render();
  };
  return { sink, stop };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
