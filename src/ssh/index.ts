// Public API of the SSH layer.
export { connect, type ConnectOptions } from './connection.js';
export { loadCredentials, type SshCredentials } from './credentials.js';
export { quoteShellArg, shellCommand } from './quote.js';
export type { ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';
export { lastLines } from './tail-buffer.js';
