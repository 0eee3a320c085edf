// A subcommand registers itself on its mode's yargs instance; the mode file lists them.
import type { Argv } from 'yargs';
import type { Runtime } from '../runtime.js';

export type SetExitCode = (code: number) => void;
export type Subcommand = (y: Argv, runtime: Runtime, setExit: SetExitCode) => Argv;
