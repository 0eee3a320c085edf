// HTML escaping for the --report page. Job names, messages and paths come from instances and files: hostile.
// Besides the five markup characters, control and bidirectional-override characters are shown as visible
// \uXXXX escapes, so a message can neither hide text nor reorder what an operator reads.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding, override and isolate marks.
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text safe inside an element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
    .replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `name="value"` pairs with escaped values; undefined values are left out. */
export function attributes(attrs: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(attrs)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(String(value))}"`)
    .join('');
}
