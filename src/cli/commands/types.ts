// A command registers itself on its mode's yargs instance; the mode file lists them. Its handler only chooses:
// it hands runCli what to run, and runCli runs it with the Runtime built from the output flags, so no command
// captures an object that is filled in later.
import type { Argv } from 'yargs';
import type { Runtime } from '../runtime.js';

/** What a command does once its flags are parsed: exit code out. Reads its options (and refuses bad ones) here. */
export type CommandRun = (runtime: Runtime) => Promise<number>;
export type Choose = (run: CommandRun) => void;
export type Subcommand = (y: Argv, choose: Choose) => Argv;
