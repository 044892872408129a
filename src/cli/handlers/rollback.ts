import { missingRegion } from '../aws-setup.js';
import { outputIn } from '../journal-reading.js';
import type { RollbackOutcome } from '../../engine/outcome.js';
import { planRollback, rollbackRunbook } from '../../engine/rollback.js';
import type { RollbackCandidate } from '../../engine/rollback.js';
import type { EngineContext } from '../../engine/context.js';
import { record } from '../../engine/execution.js';
import { describeRollback } from '../../runbook/describe.js';
import { runnableDefinition } from '../../engine/runnable.js';
import { replay } from '../../journal/replay.js';
import type { Hint } from '../../engine/next.js';
import { hintFor } from '../hint.js';

import { ExitCode, ExitError, SUMMARY_VERSION } from '../exit.js';
import { rollbackExitCode } from '../outcome-exit.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';

export interface RollbackFlags extends SessionFlags {
  to?: string;
  last?: string;
  dryRun?: boolean;
  /** Steps whose effect is unknown (failed or interrupted shell steps): run their rollback, or leave them. */
  failedSteps?: 'rollback' | 'skip';
  /** Run journaled definitions that differ from the runbook's (edited since, or a rewritten journal) without asking. */
  trustJournal?: boolean;
  /** Ask before each step's rollback (a terminal only). */
  confirmEach?: boolean;
}

export async function rollBack(file: string, flags: RollbackFlags, output: Output): Promise<void> {
  const last = flags.last === undefined ? undefined : Number(flags.last);
  if (last !== undefined && (!Number.isInteger(last) || last < 1))
    throw new ExitError(ExitCode.invalid, `--last ${flags.last}: expected a whole number of at least 1`);
  if (flags.dryRun) {
    // Read-only: no lock, no journal writes.
    const { rollbackPreview, printRollbackPreview } = await import('../views/rollback-preview.js');
    const runbook = await loadOrExit(file, flags, output);
    printRollbackPreview(await rollbackPreview(runbook, flags, { to: flags.to, last }), flags, output);
    return;
  }
  let hint = hintFor(file, flags);
  const outcome = await withSession(file, flags, output, { command: 'rollback' }, async (ctx) => {
    hint = hintFor(file, flags, ctx.masker.text);
    const plan = planRollback(
      replay(ctx.journal.events),
      ctx.runbook.steps.map((s) => s.id),
      { to: flags.to, last },
    );
    if (!plan.ok) throw new ExitError(ExitCode.invalid, plan.reason);
    // Before the first rollback, not at the ELBv2 step in the middle (the journaled definitions are what runs).
    const noRegion = ctx.aws ? await missingRegion({ steps: plan.steps.map((s) => s.definition) }, ctx.aws) : undefined;
    if (noRegion) throw new ExitError(ExitCode.invalid, noRegion.replace(/Nothing was run$/, 'Nothing was rolled back'));
    const decided = await decideUncertain(ctx, plan.steps, flags.failedSteps, hint);
    const steps = await confirmJournaled(ctx, decided, flags.trustJournal === true, hint);
    if (flags.confirmEach && !ctx.operator.interactive)
      throw new ExitError(
        ExitCode.invalid,
        '--confirm-each asks before each step, and nobody can answer here (no terminal, --yes or CI=true); run it at a terminal, or without --confirm-each; nothing was rolled back',
      );
    // --confirm-each asks per step instead of once for the list.
    if (steps.length > 0 && ctx.operator.interactive && !flags.confirmEach) {
      const { previewSteps, rollbackConfirmation } = await import('../views/rollback-preview.js');
      // The journaled captures only: no live read before the question (the rollback reads and guards drift itself).
      const { lines, question } = rollbackConfirmation(await previewSteps(replay(ctx.journal.events), steps, undefined));
      for (const line of lines) output.err(ctx.masker.text(line));
      if (!(await ctx.operator.confirm(question))) return { state: 'cancelled' } as RollbackOutcome;
    }
    return rollbackRunbook(ctx, steps, { confirmEach: flags.confirmEach === true });
  });
  const exit = rollbackExitCode(outcome);
  if (flags.json)
    output.out(
      JSON.stringify({
        type: 'summary',
        version: SUMMARY_VERSION,
        ...outcome,
        ...(outcome.state === 'interrupted' ? { reason: `interrupted by ${outcome.signal}` } : {}),
        exitCode: exit,
      }),
    );
  else output.err(summaryLine(outcome, file, hint, output));
  if (exit !== ExitCode.ok) throw new ExitError(exit);
}

/**
 * A failed or interrupted step whose effect is unknown is rolled back only when somebody
 * decides it: --failed-steps, or the operator at the prompt (journaled). Unattended without
 * the flag, nothing is rolled back and the command says how to decide.
 */
async function decideUncertain(
  ctx: EngineContext,
  steps: RollbackCandidate[],
  flag: 'rollback' | 'skip' | undefined,
  hint: Hint,
): Promise<RollbackCandidate[]> {
  const uncertain = steps.filter((s) => s.uncertain !== undefined);
  if (uncertain.length === 0) return steps;
  if (flag === undefined && !ctx.operator.interactive) {
    const list = uncertain.map((s) => `${s.id} (${s.uncertain ?? ''})`).join(', ');
    throw new ExitError(
      ExitCode.invalid,
      `whether these steps changed anything is unknown: ${list}. Decide: "${hint('rollback --failed-steps rollback')}" runs their rollback too, "--failed-steps skip" leaves them as they are; nothing was rolled back`,
    );
  }
  const keep: RollbackCandidate[] = [];
  for (const step of steps) {
    if (step.uncertain === undefined) {
      keep.push(step);
      continue;
    }
    const prompt = `${step.id}: ${step.uncertain}, so whether it changed anything is unknown. Run its rollback?`;
    const yes = flag === undefined ? await ctx.operator.confirm(prompt) : flag === 'rollback';
    await record(ctx, {
      type: 'decision',
      step: step.id,
      data: { prompt, choice: yes ? 'rollback' : 'leave as is', ...(flag ? { note: `--failed-steps ${flag}` } : {}) },
    });
    if (yes) keep.push(step);
  }
  return keep;
}

/**
 * A rollback runs what ran: when the journaled definition of a step differs from the
 * runbook's (the step was edited since it ran, or someone rewrote the journal, which anyone
 * with write access to a shared journal can do), a human sees the difference and confirms
 * it (journaled); unattended, --trust-journal says so, else nothing is rolled back.
 */
async function confirmJournaled(ctx: EngineContext, steps: RollbackCandidate[], trust: boolean, hint: Hint): Promise<RollbackCandidate[]> {
  const differing = steps.filter((s) => {
    const runnable = runnableDefinition(ctx.runbook, s.definition);
    return runnable.ok && runnable.journaledDiffers;
  });
  if (differing.length === 0) return steps;
  if (!trust && !ctx.operator.interactive) {
    const list = differing
      .map((s) => `${s.id} (journaled rollback: ${oneLine(describeRollback(s.definition.rollback))}; the runbook's: ${currentRollback(ctx, s.id)})`)
      .join('; ');
    throw new ExitError(
      ExitCode.invalid,
      `the journaled definitions of these steps differ from the runbook's, and a rollback runs the journaled one: ${list}. Check them ("${hint('rollback --dry-run')}"), then run again at a terminal to confirm, or with --trust-journal; nothing was rolled back`,
    );
  }
  const trusted: RollbackCandidate[] = [];
  for (const step of steps) {
    if (!differing.includes(step)) {
      trusted.push(step);
      continue;
    }
    const prompt = `${step.id} changed since it ran. Its rollback as journaled: ${oneLine(describeRollback(step.definition.rollback))}; in the runbook now: ${currentRollback(ctx, step.id)}. Run the journaled one?`;
    const yes = trust || (await ctx.operator.confirm(prompt));
    await record(ctx, {
      type: 'decision',
      step: step.id,
      data: { prompt, choice: yes ? 'run the journaled rollback' : 'stop', ...(trust ? { note: '--trust-journal' } : {}) },
    });
    if (!yes) break;
    trusted.push({ ...step, trusted: true });
  }
  return trusted;
}

function currentRollback(ctx: EngineContext, id: string): string {
  const current = ctx.runbook.steps.find((s) => s.id === id);
  return current ? oneLine(describeRollback(current.rollback)) : 'the step is no longer in the runbook';
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ⏎ ');
}

function summaryLine(outcome: RollbackOutcome, file: string, hint: Hint, output: Output): string {
  switch (outcome.state) {
    case 'rolled_back':
      return `${paint(output, 'green', 'rolled back')}: ${outcome.steps.join(', ')} (newest first). "${hint('run')}" redoes them.`;
    case 'nothing_to_roll_back':
      return 'nothing to roll back: no step in the journal has an effect to undo.';
    case 'cancelled':
      if (outcome.step !== undefined) {
        return outcome.steps && outcome.steps.length > 0
          ? `stopped before ${outcome.step} as asked; rolled back: ${outcome.steps.join(', ')}. "${hint('rollback')}" continues from ${outcome.step}.`
          : `cancelled at ${outcome.step}; nothing was rolled back.`;
      }
      return 'cancelled; nothing was rolled back.';
    case 'stopped_at_irreversible':
      return `${paint(output, 'red', 'stopped')} at irreversible step ${outcome.step} (${outcome.reason})${outcome.steps.length ? ` after rolling back ${outcome.steps.join(', ')}` : ''}. Steps before it stay applied; undo them by hand if needed, or roll back less with --to/--last.`;
    case 'rollback_failed':
      return `${paint(output, 'red', 'ROLLBACK FAILED')} at step ${outcome.step}: ${outcome.reason}. A human is needed: repair it by hand${outputIn(file, outcome.step, (path) => ` (output in ${path})`)}, then run "${hint('rollback')}" again to continue from ${outcome.step}.`;
    case 'stopped':
      return `${paint(output, 'red', 'stopped')} before rolling back ${outcome.step}${outcome.steps.length ? ` (rolled back: ${outcome.steps.join(', ')})` : ''}: ${outcome.reason}. Nothing was changed for ${outcome.step}; it stays as it was.`;
    case 'interrupted':
      return `${paint(output, 'yellow', 'interrupted')} (${outcome.signal}) during the rollback of ${outcome.step ?? 'a step'}; run "${hint('rollback')}" again to continue.`;
  }
}
