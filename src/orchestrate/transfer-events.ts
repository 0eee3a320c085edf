// The events of one artifact transfer (drain or upload): started, progress with the total for an ETA, finished.
import type { RunContext } from './context.js';
import type { TransferDirection } from './events.js';
import type { DeployedJob } from './open-deployment.js';

export interface TransferReporter {
  progress: (bytes: number) => void;
  finished: (result: { tarBytes: number; fileCount: number }) => void;
}

export function reportTransfer(ctx: RunContext, direction: TransferDirection, job: DeployedJob, file: string, totalBytes?: number): TransferReporter {
  const started = Date.now();
  const where = { direction, instance: job.instance, job: job.name };
  ctx.events({ type: 'transfer-started', ...where, file, totalBytes });
  return {
    progress: (bytes) => ctx.events({ type: 'transfer-progress', ...where, bytes, totalBytes }),
    finished: (result) =>
      ctx.events({
        type: 'transfer-finished',
        ...where,
        file,
        bytes: result.tarBytes,
        files: result.fileCount,
        durationMs: Date.now() - started,
      }),
  };
}
