/**
 * The rehearsal gate for `run` / `resume`: with `policy: {requireRehearsal: true}` or
 * `--require-rehearsal`, refuse to start when a step that is still to run has no passing
 * rehearsal of its current definition in the rehearsal journal (`--rehearsal PATH`, default
 * `.cutover/<name>.rehearsal.jsonl`). The journal is only read: no lock, nothing written.
 *
 * Exit code 2 (like a run refused for changed definitions): nothing ran, and what must change
 * is the input (rehearse the steps, or point at the right rehearsal journal), not the system.
 */
import { checkRehearsalGate } from '../engine/rehearsal-gate.js';
import type { RehearsalGateWhy } from '../engine/rehearsal-gate.js';
import type { JournalEvent } from '../journal/events.js';
import { defaultRehearsalPath, stateDirOf } from '../journal/paths.js';
import { isDone, replay } from '../journal/replay.js';
import type { Runbook } from '../runbook/types.js';
import type { AwsFlags } from './aws-setup.js';
import { hintFor } from './hint.js';
import type { HintFlags } from './hint.js';
import { ExitCode, ExitError } from './exit.js';
import { openJournalReadOnly } from './journal-reading.js';
import type { Output } from './output.js';

export interface RehearsalGateFlags extends AwsFlags, Pick<HintFlags, 'var' | 'varsFile'> {
  /** --require-rehearsal: the gate even without `policy.requireRehearsal`. */
  requireRehearsal?: boolean;
  /** --rehearsal PATH: the rehearsal journal (default .cutover/<name>.rehearsal.jsonl); any --journal form. */
  rehearsal?: string;
  json?: boolean;
}

const EXPLAINED: Record<RehearsalGateWhy, string> = {
  'never rehearsed': 'never rehearsed',
  'definition changed since': 'definition changed since its rehearsal',
  'rollback unverified': 'rehearsed, but its rollback was not verified',
  failed: 'its last rehearsal failed',
};

/**
 * Returns when the gate is off or every step to run passed; otherwise prints why and throws
 * ExitError(2). `journalEvents`: the run's own journal, so steps already done there (which
 * run will not start again) are not checked.
 */
export async function enforceRehearsalGate(
  runbook: Runbook,
  flags: RehearsalGateFlags,
  output: Output,
  journalEvents?: readonly JournalEvent[],
  mask: (text: string) => string = (text) => text,
): Promise<void> {
  const because = runbook.policy.requireRehearsal ? 'policy.requireRehearsal' : flags.requireRehearsal ? '--require-rehearsal' : undefined;
  if (!because) return;
  const location = flags.rehearsal ?? defaultRehearsalPath(runbook.name, stateDirOf(runbook.file));
  const journal = await openJournalReadOnly(runbook, { journal: location, region: flags.region, profile: flags.profile, endpointUrl: flags.endpointUrl });
  const state = journalEvents ? replay(journalEvents) : undefined;
  const toRun = runbook.steps.filter((step) => {
    const current = state?.steps.get(step.id)?.state;
    return current === undefined || !isDone(current);
  });
  const result = checkRehearsalGate({ steps: toRun }, journal.events);
  if (result.ok) return;

  const count = result.steps.length;
  const reason = `${count} step${count === 1 ? ' has' : 's have'} no passing rehearsal of ${count === 1 ? 'its' : 'their'} current definition in ${journal.location}${journal.exists ? '' : ' (no rehearsal journal there)'}, and ${because} requires one`;
  // The rehearse command for that journal: --rehearsal here is --journal there.
  const rehearse = hintFor(runbook.file, { ...flags, journal: flags.rehearsal }, mask)('rehearse');
  const hint = `rehearse in staging with "${rehearse}"${flags.rehearsal ? '' : ", or point at that rehearsal's journal with --rehearsal PATH"}`;
  if (flags.json) {
    output.out(JSON.stringify({ type: 'summary', state: 'refused', stepsRun: [], reason, unrehearsed: result.steps, exitCode: ExitCode.invalid }));
    throw new ExitError(ExitCode.invalid);
  }
  const lines = result.steps.map((s) => `  ${s.id}: ${EXPLAINED[s.why]}`);
  throw new ExitError(ExitCode.invalid, `refused: ${reason}:\n${lines.join('\n')}\nNothing was run; ${hint}.`);
}
