// Preloaded into bbr-ts by an e2e test (NODE_OPTIONS=--import=<this file>) to stand in for a bug: on SIGUSR2 it
// throws from a timer callback, an error no code path in bbr-ts can catch. Proves the last-resort guard in
// src/main.ts: the run must still unlock, clean up and fail, not die with jobs locked.
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('injected bug');
  });
});
