// The one place that turns values into text for a remote POSIX shell. Everything that reaches a remote
// command line (paths, job names, environment values) goes through here, so nothing can inject commands.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell: plain when it is safe as is, else in single quotes. */
export function quoteShellArg(value: string): string {
  if (value.length > 0 && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Joins argv into one command line, each word quoted. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(quoteShellArg).join(' ');
}
