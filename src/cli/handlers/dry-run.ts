/**
 * `run --dry-run`: the same walk and prompts as run, showing what would execute; nothing
 * runs or is journaled. The steps, the refusal, the bake gate and the bounds (--until,
 * --max-steps) come from the same whatNext as `run`, so the rehearsal cannot promise what
 * the real run refuses.
 */
import { askBeforeStep } from '../../engine/before-step.js';
import { describeAction, describeCheck, describeRollback } from '../../runbook/describe.js';
import { describeRefusal, whatNext } from '../../engine/next.js';
import { withDiffs } from '../../engine/definition-diff.js';
import type { NextOptions } from '../../engine/next.js';
import { nonInteractiveOperator } from '../../engine/operator.js';
import { replay } from '../../journal/replay.js';
import { formatDuration } from '../../runbook/duration.js';
import { createMasker } from '../../support/mask.js';
import { currentIdentity, describeIdentity } from '../../support/identity.js';
import { ExitCode, ExitError } from '../exit.js';
import { interactiveOperator } from '../interactive-operator.js';
import { hintFor } from '../hint.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { isInteractive } from '../session.js';
import { openJournalReadOnly } from '../journal-reading.js';
import type { SessionFlags } from '../session.js';

export async function dryRun(file: string, flags: SessionFlags, output: Output, options: NextOptions & { bake?: 'wait' | 'exit' }): Promise<void> {
  const runbook = await loadOrExit(file, flags, output);
  const masker = createMasker(runbook.secrets.values);
  const journal = await openJournalReadOnly(runbook, flags);
  const state = replay(journal.events);
  const operator = isInteractive(flags) ? interactiveOperator(output, masker, describeIdentity(currentIdentity())) : nonInteractiveOperator();
  const show = (text: string) => output.out(masker.text(text));
  const now = Date.now();
  const plan = whatNext(runbook.steps, state, options, now);
  show(paint(output, 'bold', `dry run of ${runbook.name}: nothing is executed or journaled`));
  for (const step of runbook.steps) {
    const record = state.steps.get(step.id);
    if (!plan.scope.includes(step.id) && record && (record.state === 'succeeded' || record.state === 'skipped')) show(`  ${step.id}: already ${record.state}`);
  }
  if (plan.refusal) {
    const reason = describeRefusal(withDiffs(plan.refusal, runbook, state), hintFor(file, flags, masker.text));
    show(
      `  ${paint(output, plan.refusal.exit === 'nothing' ? 'cyan' : 'red', plan.refusal.exit === 'nothing' ? 'would do nothing' : 'run would refuse')}: ${reason}`,
    );
    if (plan.refusal.exit !== 'nothing') throw new ExitError(plan.refusal.exit === 'failed' ? ExitCode.stepFailed : ExitCode.invalid);
    return;
  }
  for (const change of plan.acceptChanges) show(`  ${change.step}: changed since it ran; --accept-changes would journal the new definition as accepted`);
  for (const id of plan.skipped) show(`  ${id}: would be journaled as skipped (--start-at ${options.startAt ?? ''})`);
  const byId = new Map(runbook.steps.map((step, index) => [step.id, { step, index }]));
  let considered = 0;
  let continuing = false;
  for (const id of plan.scope) {
    const found = byId.get(id);
    if (!found) continue;
    const { step, index } = found;
    if (plan.maxSteps !== undefined && considered >= plan.maxSteps) {
      show(`  (--max-steps ${plan.maxSteps}: would stop before ${step.id})`);
      return;
    }
    considered += 1;
    if (plan.interrupted?.step === step.id) {
      show(
        `  ${paint(output, 'yellow', step.id)}: was ${plan.interrupted.state === 'running' ? 'left running (cutover stopped)' : 'interrupted'}; would first make sure its process is gone, then judge it by its verify (or ask), and run it again only if it did not complete`,
      );
    } else if (considered === 1 && plan.bake) {
      const left = plan.bake.endsAt - now;
      show(
        `  ${plan.bake.step} is baking until ${new Date(plan.bake.endsAt).toISOString()} (${formatDuration(Math.ceil(left / 1000) * 1000)} left): would evaluate its watch, then ${options.bake === 'wait' || (options.bake === undefined && operator.interactive) ? 'wait' : 'stop as "waiting" (exit 0; 11 with --detailed-exitcode)'} before ${step.id}`,
      );
      if (!(options.bake === 'wait' || (options.bake === undefined && operator.interactive))) return;
    }
    if (step.confirm && !continuing && plan.interrupted?.step !== step.id) {
      const { choice } = await askBeforeStep(operator, step, { index: index + 1, total: runbook.steps.length }, (message) => show(`  ${message}`));
      if (choice === 'continue') continuing = true;
      if (choice === 'quit') {
        show(`  (would stop before ${step.id})`);
        return;
      }
      if (choice === 'skip') {
        show(`  ${step.id}: would be skipped`);
        continue;
      }
    }
    show(`  ${paint(output, 'cyan', step.id)}: ${step.title}${plan.retry && step.id === plan.next ? ' (failed last time: would run again)' : ''}`);
    for (const check of describeCheck(step.precheck)) show(`    would check first: ${check}`);
    show(`    would run:         ${describeAction(step.action)}`);
    for (const check of describeCheck(step.verify)) show(`    would verify:      ${check}`);
    show(`    rollback:          ${describeRollback(step.rollback)}`);
  }
  if (options.until !== undefined && plan.remaining[0] !== undefined) show(`  (--until ${options.until}: would stop before ${plan.remaining[0]})`);
}
