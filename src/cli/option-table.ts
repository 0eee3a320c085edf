// Flags are declared as tables, one per group: the property a command reads (with its unit, e.g.
// scriptTimeoutSeconds) maps to everything about the flag (name, alias, type, default, help text, group, the
// environment variables BBR reads for it, validation). The yargs declarations and the frozen, typed options
// object a command works with are both derived from the table, so a flag is named in exactly one place.
import type { Argv, Options, PositionalOptions } from 'yargs';
import { UsageError } from '../errors.js';

/** The prefix every flag of the connecting modes also reads: BBR_TS_<FLAG>, e.g. BBR_TS_PRIVATE_KEY_PATH. */
export const ENV_PREFIX = 'BBR_TS';

interface TypeValue {
  string: string;
  number: number;
  boolean: boolean;
}

export interface OptionSpec {
  /** The flag on the command line, without its dashes (also BBR_TS_<FLAG> where the mode reads the environment). */
  readonly flag: string;
  readonly type: keyof TypeValue;
  /** Repeatable: the value is a list. */
  readonly array?: boolean;
  /** Values taken per occurrence (a repeatable flag followed by positionals). */
  readonly nargs?: number;
  readonly alias?: string;
  readonly choices?: readonly string[];
  readonly default?: unknown;
  /** yargs refuses the command without it. */
  readonly required?: boolean;
  /** A positional argument of the command (`<flag>` in its name) rather than a --flag. */
  readonly positional?: boolean;
  readonly describe: string;
  /** The --help section. */
  readonly group?: string;
  /**
   * Further environment variables read in this order when the flag is not given (BBR's and bosh-cli's names);
   * the mode decides when they apply (envWhen says so in --help). Read them with fromEnvironment().
   */
  readonly env?: readonly string[];
  readonly envWhen?: string;
  /** The problem with a given value, as the UsageError's message; undefined when it is fine. */
  validate?(value: never, flag: string): string | undefined;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

type Single<S extends OptionSpec> = S extends { readonly choices: readonly (infer C)[] } ? C : TypeValue[S['type']];
type ValueOf<S extends OptionSpec> = S extends { readonly array: true } ? Single<S>[] : Single<S>;
type AlwaysSet<S extends OptionSpec> = S extends { readonly default: unknown } ? true : S extends { readonly required: true } ? true : false;

/** The options object a table yields: one readonly property per row, undefined where the flag may be absent. */
export type OptionsOf<T extends OptionTable> = {
  readonly [K in keyof T]: AlwaysSet<T[K]> extends true ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

/** A table, frozen, with its literal types kept (flag names, choices) for OptionsOf. */
export function defineOptions<const T extends OptionTable>(table: T): T {
  for (const spec of Object.values(table)) Object.freeze(spec);
  return Object.freeze(table);
}

/**
 * Several tables read together by one command. A property or flag present twice is a programming error (two
 * rows for one flag would disagree sooner or later), refused here rather than silently overridden.
 */
export function combineOptions<const T extends readonly OptionTable[]>(...tables: T): UnionToIntersection<T[number]> {
  const combined: Record<string, OptionSpec> = {};
  const flags = new Set<string>();
  for (const table of tables) {
    for (const [key, spec] of Object.entries(table)) {
      if (key in combined) throw new Error(`option property ${key} is defined twice`);
      if (flags.has(spec.flag)) throw new Error(`flag --${spec.flag} is defined twice`);
      combined[key] = spec;
      flags.add(spec.flag);
    }
  }
  return Object.freeze(combined) as UnionToIntersection<T[number]>;
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Declares a table's flags (and positionals) on a yargs instance, in the table's order. */
export function declareOptions<A>(y: Argv<A>, table: OptionTable, config: { lastWins?: boolean } = {}): Argv<A> {
  let declared = y;
  for (const spec of Object.values(table)) {
    const options = yargsOptions(spec, config.lastWins === true);
    declared = spec.positional ? declared.positional(spec.flag, options as PositionalOptions) : declared.option(spec.flag, options);
  }
  return declared;
}

/**
 * The options a command works with, read from yargs' parsed arguments and frozen. Each row's validation runs
 * here, so a command never sees a value its table refuses; the first problem becomes a UsageError.
 */
export function readOptions<T extends OptionTable>(argv: Readonly<Record<string, unknown>>, table: T): OptionsOf<T> {
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const value = argv[spec.flag];
    const problem = value === undefined || !spec.validate ? undefined : spec.validate(value as never, spec.flag);
    if (problem !== undefined) throw new UsageError(problem);
    options[key] = value;
  }
  return Object.freeze(options) as OptionsOf<T>;
}

/** The first of a row's environment variables that is set (an empty one counts as set, as in BBR). */
export function fromEnvironment(spec: OptionSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of spec.env ?? []) {
    if (env[name] !== undefined) return env[name];
  }
  return undefined;
}

/** BBR_TS_<FLAG>: the variable yargs reads for a flag in the modes that call `.env(ENV_PREFIX)`. */
export function envVarOf(spec: OptionSpec): string {
  return `${ENV_PREFIX}_${spec.flag.toUpperCase().replace(/-/g, '_')}`;
}

/** `--flag`, for messages. */
export function dashed(spec: OptionSpec): string {
  return `--${spec.flag}`;
}

/** `--flag` or `--flag value`, for the command lines bbr-ts prints for the operator to paste. */
export function flagArgs(spec: OptionSpec, value?: string | number): string[] {
  return value === undefined ? [dashed(spec)] : [dashed(spec), String(value)];
}

// Validations shared by many rows; the messages are those operators already know.
export function positiveSeconds(value: number, flag: string): string | undefined {
  return value > 0 ? undefined : `--${flag} must be a positive number of seconds`;
}

export function atLeastOne(value: number, flag: string): string | undefined {
  return Number.isInteger(value) && value >= 1 ? undefined : `--${flag} must be a whole number of at least 1`;
}

function yargsOptions(spec: OptionSpec, lastWins: boolean): Options {
  const options: Options = { describe: describeWithEnv(spec) };
  // With choices, yargs' help shows them instead of the type.
  if (spec.choices) options.choices = spec.choices;
  else options.type = spec.type;
  if (spec.array) options.array = true;
  if (spec.nargs !== undefined) options.nargs = spec.nargs;
  if (spec.alias !== undefined) options.alias = spec.alias;
  if (spec.default !== undefined) options.default = spec.default;
  if (spec.required) options.demandOption = true;
  if (spec.group !== undefined) options.group = spec.group;
  // Where a command collects repeated flags into lists (job test's --env), every other flag keeps the last value.
  if (lastWins && !spec.array) options.coerce = lastOf;
  return options;
}

function describeWithEnv(spec: OptionSpec): string {
  if (!spec.env || spec.env.length === 0) return spec.describe;
  return `${spec.describe} (env${spec.envWhen ? ` ${spec.envWhen}` : ''}: ${spec.env.join(', ')})`;
}

function lastOf(value: unknown): unknown {
  return Array.isArray(value) ? value.at(-1) : value;
}

/** The rows of `table` taken from a larger options object (a command's), frozen: e.g. the connection flags alone. */
export function pickOptions<T extends OptionTable>(options: OptionsOf<T>, table: T): OptionsOf<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(table)) picked[key] = (options as Record<string, unknown>)[key];
  return Object.freeze(picked) as OptionsOf<T>;
}
