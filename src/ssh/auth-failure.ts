// ssh2 marks the error of a refused login with `level: 'client-authentication'` (lib/client.js, where every
// configured method was tried); its message is prose and may change, so it is not what tells the cases apart.

/** The server refused every key we offered (as opposed to a network, handshake or timeout failure). */
export function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && (error as { level?: unknown }).level === 'client-authentication';
}
