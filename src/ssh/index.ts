// Public API of the SSH layer.
export { connect, DEFAULT_COMMAND_LIMITS, type ConnectOptions, type Gateway } from './connection.js';
export { generateSessionKey, loadCredentials, parsePublicKeyLine, pinnedCredentials, type SshCredentials } from './credentials.js';
export { quoteShellArg, shellCommand } from './quote.js';
export type { CommandLimits, ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';
export { lastLines } from './tail-buffer.js';
export { CAPTURE_LIMIT_TEXT, succeeded, whyFailed } from './exec-outcome.js';
export { jumpboxGateway, parseAllProxy, type OpenableGateway } from './gateway.js';
