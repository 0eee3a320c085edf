// Argument parsing only: yargs turns argv into typed flags and calls the matching command.
// Every flag can also come from BBR_TS_<FLAG> (e.g. BBR_TS_PRIVATE_KEY_PATH).
import yargs, { type Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { artifactMode } from './commands/artifact.js';
import { deploymentMode } from './commands/deployment.js';
import { directorMode } from './commands/director.js';
import { jobMode } from './commands/job.js';
import { reportMode } from './commands/report.js';
import type { SetExitCode } from './commands/types.js';
import { escapeLines } from '../report/escape.js';
import { allSinks } from '../orchestrate/events.js';
import type { Output } from '../report/output.js';
import { configureOutput, outputFlags, outputOptions } from './output-options.js';
import type { CliRuntime, Runtime } from './runtime.js';

type Mode = (y: Argv, runtime: Runtime, setExit: SetExitCode) => Argv;

const MODES: Mode[] = [
  deploymentMode,
  directorMode,
  artifactMode,
  jobMode,
  reportMode,
];

/** Parses argv and runs the command; resolves with the exit code. */
export async function runCli(argv: string[], cli: CliRuntime): Promise<number> {
  let exitCode = 0;
  // Commands capture this object when they are registered; the middleware below fills in its sink.
  const runtime: Runtime = { ...cli, events: cli.events ?? (() => {}) };
  let output: Output | undefined;
  const setExit: SetExitCode = (code) => {
    exitCode = code;
  };
  let parser = yargs(argv)
    .scriptName('bbr-ts')
    .usage('$0 <mode> [mode flags] <subcommand> [subcommand flags]\n\nBack up and restore BOSH-style deployments over SSH, running the BBR job script contract.')
    // A flag given twice takes the last value, as in most CLIs (yargs would otherwise make an array).
    .parserConfiguration({ 'duplicate-arguments-array': false });
  parser = outputOptions(parser).middleware((args) => {
    output = configureOutput(outputFlags(args), runtime, { stdoutIsTTY: cli.stdoutIsTTY ?? false, color: cli.color ?? false });
    runtime.events = cli.events ? allSinks(output.sink, cli.events) : output.sink;
  }) as unknown as Argv;
  for (const mode of MODES) parser = mode(parser, runtime, setExit);
  try {
    await parser
    .demandCommand(1, 'name a mode (see the list above)')
    .strict()
    .recommendCommands()
    .completion('completion', 'print a bash/zsh completion script (e.g. bbr-ts completion >> ~/.bashrc)')
    .version(runtime.version)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue("Exit codes are BBR's bitmask: 1 general failure, 4 lock failure, 8 unlock failure, 16 cleanup failure (ORed together).")
    // Throwing (not just printing) stops yargs from running the command's handler after a validation failure.
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .exitProcess(false)
    .parseAsync();
  } catch (error) {
    if (!(error instanceof UsageError) && !isYargsError(error)) throw error;
    runtime.stderr.write(`Error: ${escapeLines((error as Error).message)}\nRun with --help to see the flags and examples.\n`);
    exitCode = 1;
  }
  if (output) {
    try {
      await output.finish(exitCode);
    } catch (error) {
      // The message names the flag and the file (--summary-json or --report).
      runtime.stderr.write(`Error: ${escapeLines((error as Error).message)}
`);
      exitCode ||= 1;
    }
  }
  return exitCode;
}

function isYargsError(error: unknown): boolean {
  return error instanceof Error && error.name === 'YError';
}
