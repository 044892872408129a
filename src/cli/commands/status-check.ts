/**
 * `status --check`: while a step bakes, evaluate its watch now and journal the result
 * (CI can call this between runs); a failing watch applies the step's onFailure, exactly as
 * in `run`. Exit 1 when the watch failed, 3 when the rollback it triggered failed.
 */
import { openBakeOf, watchOnce } from '../../engine/bake.js';
import { replay } from '../../journal/replay.js';
import { ExitCode, signalExitCode } from '../exit.js';
import type { Output } from '../output.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';

/** Returns the exit code the status command ends with, after it has printed the status. */
export async function checkBake(file: string, flags: SessionFlags, output: Output): Promise<number> {
  const outcome = await withSession(file, flags, output, { command: 'status --check' }, async (ctx) => {
    const bake = openBakeOf(replay(ctx.journal.events), ctx.clock.now().getTime());
    if (!bake) {
      output.err('check: no step is baking; nothing to watch.');
      return undefined;
    }
    if (!bake.step.watch) {
      output.err(`check: ${bake.step.id} is baking but has no watch.`);
      return undefined;
    }
    const ended = await watchOnce(ctx, bake, []);
    if (!ended) output.err(`check: the watch of ${bake.step.id} passed.`);
    return ended;
  });
  if (!outcome) return ExitCode.ok;
  const reason = 'reason' in outcome ? `: ${outcome.reason}` : '';
  output.err(`check: ${outcome.state}${reason}`);
  if (outcome.state === 'rollback_failed') return ExitCode.rollbackFailed;
  if (outcome.state === 'interrupted') return signalExitCode(outcome.signal);
  return ExitCode.stepFailed;
}
