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

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `env NAME=value ... argv` with every part quoted. `env` (not `NAME=value cmd`) keeps the assignment
 * working after `sudo`, which would otherwise treat it as its own option.
 */
export function withEnv(env: Readonly<Record<string, string>>, argv: readonly string[]): string[] {
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name: ${name}`);
    return `${name}=${value}`;
  });
  return assignments.length === 0 ? [...argv] : ['env', ...assignments, ...argv];
}
