/**
 * `cutover watch`: while a step bakes, evaluate its watch now and journal the result; a
 * failing watch applies the step's onFailure, exactly as in `run` (so it may roll traffic
 * back). It never starts a step. A mutating command: it takes the lock, which is why it is
 * not an option of the read-only `status`. Exit 0 when the watch passed (or nothing bakes),
 * 1 when it failed, 3 when the rollback it triggered failed.
 */
import { openBakeOf, watchOnce } from '../../engine/bake.js';
import { replay } from '../../journal/replay.js';
import { ExitError } from '../exit.js';
import { watchExitCode } from '../outcome-exit.js';
import type { Output } from '../output.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';

export async function watchBake(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const outcome = await withSession(file, flags, output, { command: 'watch' }, async (ctx) => {
    const bake = openBakeOf(replay(ctx.journal.events), ctx.clock.now().getTime(), ctx.runbook);
    if (!bake) {
      output.err('watch: no step is baking; nothing to watch.');
      return undefined;
    }
    if (!bake.step.watch) {
      output.err(`watch: ${bake.step.id} is baking until ${new Date(bake.endsAt).toISOString()} but has no watch.`);
      return undefined;
    }
    const ended = await watchOnce(ctx, bake, []);
    if (!ended) output.err(`watch: the watch of ${bake.step.id} passed; it bakes until ${new Date(bake.endsAt).toISOString()}.`);
    return ended;
  });
  if (!outcome) return;
  const reason = 'reason' in outcome ? `: ${outcome.reason}` : '';
  output.err(`watch: ${outcome.state.replace(/_/g, ' ')}${reason}`);
  throw new ExitError(watchExitCode(outcome));
}
