import { replay } from '../../journal/replay.js';
import { parseDuration } from '../../runbook/duration.js';
import { closest } from '../../runbook/suggest.js';
import { hintFor } from '../hint.js';
import { ExitCode, ExitError } from '../exit.js';
import type { Output } from '../output.js';
import { missingValuesMessage } from '../runbook-options.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';

export interface ApproveFlags extends SessionFlags {
  note?: string;
  expires?: string;
}

export async function approve(file: string, stepId: string, flags: ApproveFlags, output: Output): Promise<void> {
  const expiresMs = flags.expires === undefined ? undefined : parseDuration(flags.expires);
  if (flags.expires !== undefined && expiresMs === undefined)
    throw new ExitError(ExitCode.invalid, `--expires ${flags.expires}: not a duration; write it like 30m or 2h`);
  await withSession(file, flags, output, { command: 'approve', readOnly: true }, async (ctx) => {
    const step = ctx.runbook.steps.find((s) => s.id === stepId);
    if (!step) {
      const ids = ctx.runbook.steps.map((s) => s.id);
      const suggestion = closest(stepId, ids);
      throw new ExitError(
        ExitCode.invalid,
        `no step "${stepId}" in ${file}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; its steps: ${ids.join(', ')}`,
      );
    }
    // An approval is of one definition (its digest): that one needs every value it uses.
    if (step.unresolved?.length) throw new ExitError(ExitCode.invalid, `${stepId}: ${missingValuesMessage(step.unresolved)}`);
    const watch = replay(ctx.journal.events).steps.get(step.id)?.lastWatch;
    // Approving a step whose watch failed records that someone looked: runs may go past it again.
    if (step.action.kind !== 'manual' && !(watch && !watch.ok)) {
      throw new ExitError(
        ExitCode.invalid,
        `step "${stepId}" is not a manual step and its watch has not failed; approvals are for manual steps and failed watches`,
      );
    }
    const expiresAt = expiresMs === undefined ? undefined : new Date(ctx.clock.now().getTime() + expiresMs).toISOString();
    await ctx.journal.append({ type: 'approval', step: step.id, data: { digest: step.digest, note: flags.note, expiresAt } });
    output.err(
      `approved ${step.id}${expiresAt ? ` until ${expiresAt}` : ''}; the next "${hintFor(file, flags, ctx.masker.text)('run')}" carries it out (one attempt: a retry or a run after a rollback needs a new approval).`,
    );
  });
}
