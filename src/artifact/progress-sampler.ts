// Transfer progress for drains and uploads alike. SSH moves 32 KiB packets: an event per chunk would cost more
// CPU than the bytes themselves at wire speed, so progress is sampled.

const PROGRESS_EVERY_BYTES = 64 * 1024 * 1024;
const PROGRESS_EVERY_MS = 500;

/**
 * Returns what to call with the running byte count after every chunk; it passes the count on to `onProgress`
 * at most once per PROGRESS_EVERY_BYTES or PROGRESS_EVERY_MS, whichever comes first.
 */
export function progressSampler(onProgress: ((bytes: number) => void) | undefined, now: () => number = Date.now): (bytes: number) => void {
  if (!onProgress) return () => undefined;
  let reportedBytes = 0;
  let reportedAt = now();
  return (bytes) => {
    const at = now();
    if (bytes - reportedBytes < PROGRESS_EVERY_BYTES && at - reportedAt < PROGRESS_EVERY_MS) return;
    reportedBytes = bytes;
    reportedAt = at;
    onProgress(bytes);
  };
}
