/**
 * `cutover rehearse <runbook>`: for staging. Runs, rolls back and runs again every step
 * (src/engine/rehearse.ts), in its own journal (default `.cutover/<name>.rehearsal.jsonl`),
 * and prints a report per step. Exit 1 when a step failed its rehearsal.
 */
import { missingRegion } from '../aws-setup.js';
import { outputIn } from '../journal-reading.js';
import type { RehearsalOutcome, RehearsalStepRecord } from '../../engine/rehearse.js';
import { rehearseRunbook } from '../../engine/rehearse.js';
import type { RehearsalPhase } from '../../journal/events.js';
import { defaultRehearsalPath } from '../../journal/paths.js';
import { formatDuration } from '../../runbook/duration.js';
import { ExitCode, ExitError } from '../exit.js';
import { rehearsalExitCode } from '../outcome-exit.js';
import type { Output } from '../output.js';
import { paint } from '../output.js';
import { withSession } from '../session.js';
import type { SessionFlags } from '../session.js';
import { renderTable } from '../table.js';
import { hintFor } from '../hint.js';
import type { Hint } from '../../engine/next.js';

export interface RehearseFlags extends SessionFlags {
  /** --return: roll everything back at the end, leaving staging as it was. */
  return?: boolean;
  /** --on-interrupted: a step an earlier rehearsal left interrupted, without a verify (as for resume). */
  onInterrupted?: 'retry' | 'rollback' | 'kill';
}

export async function rehearse(file: string, flags: RehearseFlags, output: Output): Promise<void> {
  let mask = (text: string) => text;
  const { outcome, journal } = await withSession(
    file,
    flags,
    output,
    {
      command: 'rehearse',
      defaultJournalPath: defaultRehearsalPath,
      notify: false,
      // Manual steps: approvals recorded in the rehearsal journal (cutover approve --journal ...).
      // Unlike run, one approval covers the whole rehearsal of the step (run, roll back, run again).
      // A rehearsal cut short (killed, a signal) is recovered first, with resume's rules and flag.
      approvals: 'rehearsal',
      operator: flags.onInterrupted ? { onInterrupted: flags.onInterrupted } : {},
    },
    async (ctx, opened) => {
      mask = ctx.masker.text;
      // Before the first step that changes anything, as for run.
      const noRegion = ctx.aws ? await missingRegion(ctx.runbook, ctx.aws) : undefined;
      if (noRegion) throw new ExitError(ExitCode.invalid, noRegion);
      return { outcome: await rehearseRunbook(ctx, { return: flags.return === true }), journal: opened.location };
    },
  );
  const exit = rehearsalExitCode(outcome);
  if (flags.json) {
    output.out(JSON.stringify({ type: 'summary', journal, ...outcome, exitCode: exit }));
  } else {
    if (outcome.steps.length > 0) output.out(renderReport(outcome.steps, output));
    // Hints carry the flags of this command (hint.ts); rollback and approve also name the rehearsal journal.
    output.err(summaryLine(outcome, file, hintFor(file, flags, mask), hintFor(file, { ...flags, journal }, mask), output));
  }
  if (exit !== ExitCode.ok) throw new ExitError(exit);
}

const VERDICTS: Record<RehearsalStepRecord['verdict'], string> = {
  passed: 'passed',
  'rollback-unverified': 'rollback unverified',
  irreversible: 'irreversible',
  failed: 'FAILED',
  skipped: 'skipped',
  'not-reached': 'not reached',
};

/** The report: one row per step, then the reasons of every row that needs one. */
export function renderReport(rows: readonly RehearsalStepRecord[], output: Pick<Output, 'color'>): string {
  const cell = (phase: RehearsalPhase | undefined, passedText = 'ok') => {
    if (!phase) return '-';
    const time = formatDuration(phase.durationMs);
    if (phase.status === 'passed') return `${passedText} ${time}`;
    if (phase.status === 'inconclusive') return `unknown ${time}`;
    return `FAILED ${time}`;
  };
  const both = (first: RehearsalPhase | undefined, second: RehearsalPhase | undefined) => {
    if (!first || !second) return cell(first ?? second);
    const failed = first.status === 'failed' || second.status === 'failed';
    return `${failed ? 'FAILED' : 'ok'} ${formatDuration(first.durationMs + second.durationMs)}`;
  };
  const colour = (verdict: RehearsalStepRecord['verdict']) => {
    const text = VERDICTS[verdict];
    if (verdict === 'passed') return paint(output, 'green', text);
    if (verdict === 'failed') return paint(output, 'red', text);
    if (verdict === 'rollback-unverified') return paint(output, 'yellow', text);
    return text;
  };
  const table = renderTable(
    ['STEP', 'FORWARD', 'VERIFY', 'ROLLBACK', 'ROLLBACK VERIFY', 'STATE RESTORED', 'RE-APPLY', 'TOTAL', 'VERDICT'],
    rows.map((row) => {
      const p = row.phases;
      const restored = p.stateRestored ? cell(p.stateRestored, 'equal') : p.verifyAfterRollback ? cell(p.verifyAfterRollback, 'verify fails') : '-';
      return [
        row.id,
        both(p.precheck, p.forward),
        cell(p.verify),
        cell(p.rollback),
        cell(p.rollbackVerify),
        restored,
        both(p.reapply, p.reverify),
        row.earlier ? 'earlier' : row.durationMs === undefined ? '-' : formatDuration(row.durationMs),
        colour(row.verdict),
      ];
    }),
  );
  const notes = rows.flatMap((row) => [
    ...(row.continued
      ? [`  ${row.id}: an earlier rehearsal was cut short after this step was applied; this one continued at its rollback (the action did not run twice)`]
      : []),
    ...(row.reason && row.verdict !== 'passed' && row.verdict !== 'skipped' ? [`  ${row.id}: ${row.reason}`] : []),
  ]);
  const earlier = rows.some((row) => row.earlier)
    ? ['"earlier": rehearsed by an earlier "cutover rehearse" and still applied in staging; not rehearsed again.']
    : [];
  return [table, ...(notes.length > 0 ? ['', ...notes] : []), ...(earlier.length > 0 ? ['', ...earlier] : [])].join('\n');
}

function summaryLine(outcome: RehearsalOutcome, file: string, again: Hint, inJournal: Hint, output: Output): string {
  const unverified = outcome.steps.filter((row) => row.verdict === 'rollback-unverified').map((row) => row.id);
  const caveat =
    unverified.length > 0
      ? ` ${paint(output, 'yellow', 'Rollback unverified')}: ${unverified.join(', ')} (add a rollback.verify; a rehearsal gate refuses them).`
      : '';
  switch (outcome.state) {
    case 'completed': {
      const returned = outcome.returned;
      const head = `${paint(output, 'green', 'rehearsed')}: every step ran, rolled back and ran again.${caveat}`;
      if (!returned) return `${head} Staging is left migrated; "${inJournal('rollback')}" (or rehearse --return) puts it back.`;
      switch (returned.state) {
        case 'rolled_back':
          return `${head} Returned: ${returned.steps.join(', ')} rolled back, staging is as it was.`;
        case 'nothing_to_roll_back':
          return `${head} Nothing to return.`;
        case 'stopped_at_irreversible':
          return `${head} ${paint(output, 'red', 'Return stopped')} at irreversible step ${returned.step} (${returned.reason}); the steps before it stay applied in staging.`;
        case 'rollback_failed':
          return `${head} ${paint(output, 'red', 'RETURN FAILED')} at step ${returned.step}: ${returned.reason}. Repair it by hand, then "${inJournal('rollback')}".`;
        case 'interrupted':
          return `${head} Return ${paint(output, 'yellow', 'interrupted')} (${returned.signal}); continue with "${inJournal('rollback')}".`;
      }
      break;
    }
    case 'failed':
      return `${paint(output, 'red', 'rehearsal failed')} at step ${outcome.step}: ${outcome.reason}.${caveat} Staging is left as the failure left it: fix the runbook or staging (by hand where a rollback left it half done) and rehearse again (it continues at ${outcome.step}), or undo the steps before it with "${inJournal('rollback')}".${outputIn(file, outcome.step)}`;
    case 'advanced':
      return `${paint(output, 'cyan', 'stopped')} before ${outcome.next}; "${again('rehearse')}" continues there.`;
    case 'waiting_approval':
      return `${paint(output, 'yellow', 'waiting for approval')} of manual step ${outcome.step}. Do it, record it with "${inJournal('approve', outcome.step)}" (or rehearse interactively), and rehearse again.`;
    case 'interrupted':
      return `${paint(output, 'yellow', 'interrupted')} (${outcome.signal})${outcome.step ? ` during ${outcome.step}` : ''}. Rehearse again to continue, or undo with "${inJournal('rollback')}".`;
    case 'refused': {
      const undo = outcome.undo ? ` Undo with "${inJournal(outcome.undo.to ? `rollback --to ${outcome.undo.to}` : 'rollback')}".` : '';
      return `${paint(output, 'red', 'refused')}: ${outcome.reason}.${undo}`;
    }
  }
  return '';
}
