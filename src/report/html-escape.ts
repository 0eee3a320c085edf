// HTML escaping for the --report page. Job names, messages and paths come from instances and files: hostile.
// Besides the five markup characters, control and bidi characters are shown as visible text, as on the
// terminal (escape.ts), so a message can neither hide text nor reorder what an operator reads.
import { escapeLines } from './escape.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return escapeLines(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** `name="value"` pairs with escaped values; undefined values are left out. */
export function attributes(attrs: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(attrs)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(String(value))}"`)
    .join('');
}
