// The one way a workflow runs a job script, metadata included: the run's script timeout, and a warning when
// the script left something holding its output open. The recorder adds the script events around it.
import { outputHeldOpenWarning } from '../contract/run-script.js';
import type { RunContext } from './context.js';
import type { Instance, ScriptOutcome, ScriptRequest } from './instance.js';

export async function runJobScript(
  ctx: RunContext,
  instance: Instance,
  request: Omit<ScriptRequest, 'timeoutMs'>,
): Promise<ScriptOutcome> {
  const output = await instance.runScript({ ...request, timeoutMs: ctx.scriptTimeoutMs });
  if (output.outputHeldOpen) {
    ctx.events({ type: 'warning', instance: instance.name, job: request.job, message: outputHeldOpenWarning(instance.name, request.job, request.script) });
  }
  return output;
}
