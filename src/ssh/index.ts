// Public API of the SSH layer.
export { connect, loadCredentials, type ConnectOptions, type SshCredentials } from './connection.js';
export { quoteShellArg, shellCommand, withEnv } from './quote.js';
export type { ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';
export { lastLines } from './tail-buffer.js';
