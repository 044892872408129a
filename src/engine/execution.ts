/** Builds the ExecutionContext an action or check runs with, wired to journal and reporter. */
import { join } from 'node:path';
import type { ExecutionContext } from '../actions/types.js';
import type { Step } from '../runbook/types.js';
import type { EngineContext } from './context.js';

export function executionFor(
  ctx: EngineContext,
  step: Step,
  attempt: number,
  phase: 'precheck' | 'action' | 'verify' | 'rollback' | 'rollback-verify',
  signal: AbortSignal = ctx.signal,
): ExecutionContext {
  return {
    signal,
    forceKill: ctx.forceKill,
    env: { ...ctx.env, ...ctx.runbook.env },
    cwd: ctx.cwd,
    logFile: join(ctx.logDir, `${step.id}.${attempt}.log`),
    onOutput: (line, stream) => ctx.reporter.notify({ kind: 'output', step: step.id, line, stream }),
    onProgress: (message) => ctx.reporter.notify({ kind: 'info', step: step.id, message: ctx.masker.text(`${phase}: ${message}`) }),
    onSpawn: async (child) => {
      ctx.onChild?.('spawned');
      const event = await ctx.journal.append(
        {
          type: 'step.spawned',
          step: step.id,
          attempt,
          data: { pid: child.pid, pgid: child.pgid, host: ctx.host, phase: phase === 'rollback-verify' ? 'rollback' : phase },
        },
        { durable: false },
      );
      ctx.reporter.notify({ kind: 'event', event });
    },
    onExit: () => ctx.onChild?.('exited'),
    timeoutMs: step.timeoutMs,
    masker: ctx.masker,
    clock: ctx.clock,
    aws: ctx.aws,
  };
}

/** Appends an event and tells the reporter about it. */
export async function record(ctx: EngineContext, event: Parameters<EngineContext['journal']['append']>[0]) {
  const written = await ctx.journal.append(event);
  ctx.reporter.notify({ kind: 'event', event: written });
  return written;
}
