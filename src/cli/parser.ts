// Parsing, then the chosen command: yargs matches the command line to a command, whose handler only hands back
// what to run; the run's Output and Runtime are built from the output flags, then the command runs with them.
import yargs from 'yargs';
import { UsageError } from '../errors.js';
import { artifactMode } from './commands/artifact.js';
import { deploymentMode } from './commands/deployment.js';
import { directorMode } from './commands/director.js';
import { jobMode } from './commands/job.js';
import { reportMode } from './commands/report.js';
import type { CommandRun, Subcommand } from './commands/types.js';
import { escapeLines } from '../report/escape.js';
import { allSinks } from '../orchestrate/events.js';
import type { Output } from '../report/output.js';
import { configureOutput, outputFlags, outputOptions } from './output-options.js';
import type { CliRuntime, Runtime } from './runtime.js';

const MODES: Subcommand[] = [
  deploymentMode,
  directorMode,
  artifactMode,
  jobMode,
  reportMode,
];

/** Parses argv and runs the command; resolves with the exit code. */
export async function runCli(argv: string[], cli: CliRuntime): Promise<number> {
  let exitCode = 0;
  // Set by the matched command's handler during parsing.
  const chosen: { run?: CommandRun } = {};
  let stderr = cli.stderr;
  let output: Output | undefined;
  let parser = outputOptions(
    yargs(argv)
      .scriptName('bbr-ts')
      .usage('$0 <mode> [mode flags] <subcommand> [subcommand flags]\n\nBack up and restore BOSH-style deployments over SSH, running the BBR job script contract.')
      // A flag given twice takes the last value, as in most CLIs (yargs would otherwise make an array).
      .parserConfiguration({ 'duplicate-arguments-array': false }),
  );
  for (const mode of MODES) {
    parser = mode(parser, (run) => {
      chosen.run = run;
    });
  }
  try {
    const parsed = await parser
      .demandCommand(1, 'name a mode (see the list above)')
      .strict()
      .recommendCommands()
      .completion('completion', 'print a bash/zsh completion script (e.g. bbr-ts completion >> ~/.bashrc)')
      .version(cli.version)
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
    // --help, --version and completion choose nothing.
    if (chosen.run) {
      // The run's output is built from the flags before the command runs; the Runtime is never changed after.
      const configured = configureOutput(outputFlags(parsed), cli, { stdoutIsTTY: cli.stdoutIsTTY ?? false, color: cli.color ?? false });
      output = configured.output;
      stderr = configured.stderr;
      const runtime: Runtime = Object.freeze({
        stdout: cli.stdout,
        stderr,
        signal: cli.signal,
        forceSignal: cli.forceSignal,
        version: cli.version,
        events: cli.events ? allSinks(output.sink, cli.events) : output.sink,
      });
      exitCode = await chosen.run(runtime);
    }
  } catch (error) {
    if (!(error instanceof UsageError) && !isYargsError(error)) throw error;
    stderr.write(`Error: ${escapeLines((error as Error).message)}\nRun with --help to see the flags and examples.\n`);
    exitCode = 1;
  }
  if (output) {
    try {
      await output.finish(exitCode);
    } catch (error) {
      // The message names the flag and the file (--summary-json or --report).
      stderr.write(`Error: ${escapeLines((error as Error).message)}\n`);
      exitCode ||= 1;
    }
  }
  return exitCode;
}

function isYargsError(error: unknown): boolean {
  return error instanceof Error && error.name === 'YError';
}
