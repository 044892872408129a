/** `run --dry-run`: the same walk and prompts as run, showing what would execute; nothing runs or is journaled. */
import { describeAction, describeCheck, describeRollback } from '../../engine/describe.js';
import { nonInteractiveOperator } from '../../engine/operator.js';
import { isDone, replay } from '../../journal/replay.js';
import { createMasker } from '../../support/mask.js';
import { currentIdentity, describeIdentity } from '../../support/identity.js';
import { interactiveOperator } from '../interactive-operator.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import { isInteractive } from '../session.js';
import { openJournalReadOnly } from '../journal-reading.js';
import type { SessionFlags } from '../session.js';

export async function dryRun(file: string, flags: SessionFlags, output: Output): Promise<void> {
  const runbook = await loadOrExit(file, flags, output);
  const masker = createMasker(runbook.secrets.values);
  const journal = await openJournalReadOnly(runbook, flags);
  const state = replay(journal.events);
  const operator = isInteractive(flags) ? interactiveOperator(output, masker, describeIdentity(currentIdentity())) : nonInteractiveOperator();
  const show = (text: string) => output.out(masker.text(text));
  show(paint(output, 'bold', `dry run of ${runbook.name}: nothing is executed or journaled`));
  for (const [index, step] of runbook.steps.entries()) {
    const record = state.steps.get(step.id);
    if (record && isDone(record.state)) {
      show(`  ${step.id}: already ${record.state}`);
      continue;
    }
    if (step.confirm) {
      const choice = await operator.beforeStep(step, { index: index + 1, total: runbook.steps.length });
      if (choice === 'quit') {
        show(`  (would stop before ${step.id})`);
        return;
      }
      if (choice === 'skip') {
        show(`  ${step.id}: would be skipped`);
        continue;
      }
    }
    show(`  ${paint(output, 'cyan', step.id)}: ${step.title}`);
    for (const check of describeCheck(step.precheck)) show(`    would check first: ${check}`);
    show(`    would run:         ${describeAction(step.action)}`);
    for (const check of describeCheck(step.verify)) show(`    would verify:      ${check}`);
    show(`    rollback:          ${describeRollback(step.rollback)}`);
  }
}
