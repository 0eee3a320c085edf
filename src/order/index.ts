// Public API of order/: pure lock-wave planning from job metadata (no I/O).
export { orderLockWaves, reverseWaves } from './lock-waves.js';
export type { LockOrderEntry, LockWaveOptions, OrderableJob } from './lock-waves.js';
