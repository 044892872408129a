/**
 * The crash harness: cutover is killed with SIGKILL (nothing runs on the way out) at
 * seeded random moments while it runs, and while it rolls back, a 30-step runbook whose
 * steps append to a ledger file. After every kill the lock (which a SIGKILLed holder
 * leaves behind by design) is cleared with `cutover unlock`, and the work is continued
 * with `cutover resume --yes --on-interrupted retry` (or `rollback --yes`) until it
 * completes. After each completed run and each completed rollback it checks:
 *
 * - the journal parses and its hash chain holds (src/journal verifyChain), with no torn line;
 * - every step was applied exactly once in the ledger, in runbook order;
 * - the rollbacks were applied in exact reverse order (and, with strictRollbackOnce, once each);
 * - no lock file is left;
 * - `cutover status --json` agrees with the ledger, step by step.
 *
 * Each step's verify asks "is the step applied now?" (its last ledger entry is `step-n`,
 * not `undo-n`), so it also holds in the second and later cycles, and a resume can tell a
 * step that got done before the kill from one that did not.
 *
 * Timing cannot be replayed exactly (the machine decides how far a process gets in 300 ms),
 * but the seed fixes every choice the harness makes: the kill modes and delays.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliProcess, CliResult } from '../e2e/helpers.js';
import { cli, cliEnv, describeResult, journalPath, readLedger, sleep, startCli, writeLedgerRunbook } from '../e2e/helpers.js';
import { Rng, STACK_FRAME } from './support.js';

export interface CrashCampaignOptions {
  /** SIGKILLs to deliver; the campaign then finishes its current cycle without killing. */
  kills: number;
  seed: number;
  /** An empty directory: the runbook, the ledger and .cutover/ go here. */
  dir: string;
  /** Steps in the runbook; default 30. */
  steps?: number;
  /** Progress lines (one per cycle). */
  log?: (line: string) => void;
  /**
   * Fail when a rollback action ran more than once. Off by default: cutover re-runs the
   * rollback action of a step whose rollback was interrupted after its action had done its
   * work (rollbacks resume verify-first, src/engine/rollback-recovery.ts). The re-runs are
   * counted in the result either way, and the order is always checked.
   */
  strictRollbackOnce?: boolean;
  /**
   * At most this many kills in one run or rollback phase (default 12); the phase then runs
   * to its end. Keeps a short campaign on a slow machine from spending every kill on the
   * run phase and none on the rollback.
   */
  maxKillsPerPhase?: number;
}

export interface KillRecord {
  phase: 'run' | 'rollback';
  command: string;
  /** 'startup': killed at a random time after spawn; 'working': after it had journaled something. */
  mode: 'startup' | 'working';
  delayMs: number;
  /** Events the killed process had appended. */
  eventsWritten: number;
  /** Type of the last journal event at the time of the kill (where the kill landed). */
  landedAfter: string;
}

export interface CrashCampaignResult {
  seed: number;
  kills: number;
  /** Kills of a process that had already journaled at least one event of its own. */
  killsMidRun: number;
  killsInRun: number;
  killsInRollback: number;
  /** Completed run + rollback cycles, all checked. */
  cycles: number;
  /** Processes that ran to their end on their own (the kill timer had not fired). */
  completions: number;
  /** `cutover unlock` calls needed to clear a lock left by a killed holder. */
  unlocks: number;
  /** Torn last lines seen right after a kill (each later repaired by the next command). */
  tornLines: number;
  /** Rollback actions that ran a second time after a crash (see strictRollbackOnce). */
  repeatedRollbacks: number;
  /** Where the kills landed: the last journal event type at the time of the kill. */
  landedAfter: Record<string, number>;
  durationMs: number;
}

const PROCESS_TIMEOUT_MS = 60_000;

export async function runCrashCampaign(options: CrashCampaignOptions): Promise<CrashCampaignResult> {
  const { dir, seed } = options;
  const stepCount = options.steps ?? 30;
  const rng = new Rng(seed);
  const started = Date.now();
  const journal = journalPath(dir, 'crash');
  const lockFile = `${journal}.lock`;
  const env = cliEnv({ CI: 'true' });
  const runbook = writeCrashRunbook(dir, stepCount);
  const ids = Array.from({ length: stepCount }, (_, index) => `step-${index + 1}`);

  const result: CrashCampaignResult = {
    seed,
    kills: 0,
    killsMidRun: 0,
    killsInRun: 0,
    killsInRollback: 0,
    cycles: 0,
    completions: 0,
    unlocks: 0,
    tornLines: 0,
    repeatedRollbacks: 0,
    landedAfter: {},
    durationMs: 0,
  };
  // The last few things the harness did, for failure messages.
  const history: string[] = [];
  const note = (line: string) => {
    history.push(line);
    if (history.length > 14) history.shift();
  };
  const fail = (problem: string): never => {
    throw new Error(
      `crash campaign failed (seed ${seed}; replay with TORTURE_SEED=${seed}) in cycle ${result.cycles + 1} after ${result.kills} kills: ${problem}\n` +
        `recent actions:\n  ${history.join('\n  ')}\nledger tail: ${readLedger(dir).slice(-12).join(' ')}\ndir: ${dir}`,
    );
  };

  /** `cli` of the e2e helpers, with its own failures (a stack trace, a timeout) reported with the seed. */
  const command = async (args: string[]): Promise<CliResult> => {
    try {
      return await cli(args, { cwd: dir, env });
    } catch (error) {
      return fail((error as Error).message);
    }
  };

  /** Runs one phase (run or rollback) to completion, killing it as long as kills remain. */
  const phase = async (name: 'run' | 'rollback') => {
    let first = true;
    let killsHere = 0;
    for (;;) {
      const args =
        name === 'rollback'
          ? ['rollback', '--yes', runbook]
          : first || !existsSync(journal)
            ? ['run', '--yes', runbook]
            : ['resume', '--yes', '--on-interrupted', 'retry', runbook];
      first = false;
      const eventsBefore = countLines(journal);
      const sizeBefore = fileSize(journal);
      const proc = startCli(args, { cwd: dir, env, timeoutMs: PROCESS_TIMEOUT_MS });
      let exited: CliResult | undefined;
      void proc.done.then((done) => (exited = done));

      if (result.kills >= options.kills || killsHere >= (options.maxKillsPerPhase ?? 12)) {
        const done = await proc.done;
        checkFinished(done, args);
        return;
      }
      const mode = rng.chance(0.2) ? 'startup' : 'working';
      const delayMs = mode === 'startup' ? rng.int(0, 450) : rng.int(0, 1200);
      if (mode === 'working') {
        // Until the process has journaled something of its own (or ended).
        const deadline = Date.now() + PROCESS_TIMEOUT_MS;
        while (!exited && fileSize(journal) <= sizeBefore && Date.now() < deadline) await sleep(5);
      }
      await sleep(delayMs);
      if (exited) {
        note(`${args[0]}: ended by itself before the kill (${mode} +${delayMs} ms): exit ${exited.code}`);
        checkFinished(exited, args);
        return;
      }
      const landedAfter = lastEventType(journal);
      killNow(proc);
      const killed = await proc.done;
      if (killed.signal !== 'SIGKILL') {
        // It finished in the instant between the check and the kill.
        note(`${args[0]}: ended by itself as it was killed: exit ${killed.code}`);
        checkFinished(killed, args);
        return;
      }
      const eventsWritten = countLines(journal) - eventsBefore;
      const record: KillRecord = { phase: name, command: args[0] as string, mode, delayMs, eventsWritten, landedAfter };
      result.kills += 1;
      killsHere += 1;
      if (name === 'run') result.killsInRun += 1;
      else result.killsInRollback += 1;
      if (eventsWritten > 0) result.killsMidRun += 1;
      result.landedAfter[landedAfter] = (result.landedAfter[landedAfter] ?? 0) + 1;
      note(`kill #${result.kills}: ${record.command} (${mode} +${delayMs} ms), after ${eventsWritten} new events, last ${landedAfter}`);

      // Whatever the moment of the kill, the journal is a valid chain (a torn last line is the one tolerated damage).
      if (existsSync(journal)) {
        try {
          if (verifyChain(readFileSync(journal, 'utf8')).torn) result.tornLines += 1;
        } catch (error) {
          fail(`after kill #${result.kills} the journal does not verify: ${(error as Error).message}`);
        }
      }
      if (existsSync(lockFile)) {
        const unlock = await command(['unlock', runbook]);
        if (unlock.code !== 0) fail(`cutover unlock after kill #${result.kills} did not clear the lock of the dead holder: ${describeResult(unlock)}`);
        if (existsSync(lockFile)) fail(`cutover unlock exited 0 but ${lockFile} is still there`);
        result.unlocks += 1;
        note(`unlock: ${firstLine(unlock.stderr)}`);
      }
    }
  };

  const checkFinished = (done: CliResult, args: string[]) => {
    result.completions += 1;
    if (done.timedOut) fail(`cutover ${args.join(' ')} did not finish within ${PROCESS_TIMEOUT_MS} ms\n${describeResult(done)}`);
    if (STACK_FRAME.test(done.stdout + done.stderr)) fail(`cutover ${args.join(' ')} printed a stack trace\n${describeResult(done)}`);
    if (done.code !== 0) fail(`cutover ${args.join(' ')} exited ${done.code}, expected 0\n${describeResult(done)}`);
    note(`${args[0]}: finished: ${lastLine(done.stderr)}`);
  };

  /** The shared checks after a completed phase. */
  const checkJournalAndStatus = async (expectedState: 'succeeded' | 'rolled-back') => {
    if (existsSync(lockFile)) fail(`a lock file is left behind after a completed ${expectedState === 'succeeded' ? 'run' : 'rollback'}: ${readFileSync(lockFile, 'utf8')}`);
    let torn: number | undefined;
    try {
      torn = verifyChain(readFileSync(journal, 'utf8')).torn?.line;
    } catch (error) {
      fail(`the journal does not verify: ${(error as Error).message}`);
    }
    if (torn !== undefined) fail(`a completed command left a torn last line (line ${torn})`);
    const status = await command(['status', '--json', runbook]);
    if (status.code !== 0) fail(`cutover status --json: ${describeResult(status)}`);
    const states = new Map((JSON.parse(status.stdout) as { steps: { id: string; state: string }[] }).steps.map((s) => [s.id, s.state]));
    const ledger = readLedger(dir);
    for (const [index, id] of ids.entries()) {
      const n = index + 1;
      const last = ledger.filter((line) => line === `step-${n}` || line === `undo-${n}`).at(-1);
      const fromLedger = last === `step-${n}` ? 'succeeded' : last === `undo-${n}` ? 'rolled-back' : 'pending';
      if (states.get(id) !== fromLedger) fail(`status says ${id} is ${states.get(id)}, but the ledger says ${fromLedger}`);
      if (fromLedger !== expectedState) fail(`${id} is ${fromLedger} after the phase, expected ${expectedState}`);
    }
  };

  const forward = ids.map((_, index) => `step-${index + 1}`);
  const backward = ids.map((_, index) => `undo-${index + 1}`).reverse();
  do {
    const base = readLedger(dir).length;
    await phase('run');
    const applied = readLedger(dir).slice(base);
    if (!sameList(applied, forward)) fail(`the run did not apply every step exactly once, in order: ${applied.join(' ')}`);
    await checkJournalAndStatus('succeeded');

    await phase('rollback');
    const undone = readLedger(dir).slice(base + forward.length);
    const collapsed = undone.filter((line, index) => line !== undone[index - 1]);
    const repeated = undone.length - collapsed.length;
    if (!sameList(collapsed, backward)) fail(`the rollbacks are not in exact reverse order: ${undone.join(' ')}`);
    if (repeated > 0 && options.strictRollbackOnce) fail(`${repeated} rollback action(s) ran twice: ${undone.join(' ')}`);
    result.repeatedRollbacks += repeated;
    await checkJournalAndStatus('rolled-back');

    result.cycles += 1;
    options.log?.(
      `seed ${seed}: cycle ${result.cycles} checked; ${result.kills}/${options.kills} kills survived (${result.killsMidRun} mid-run), ` +
        `${result.unlocks} unlocks, ${result.repeatedRollbacks} repeated rollback actions, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } while (result.kills < options.kills);

  result.durationMs = Date.now() - started;
  return result;
}

/** The 30-step ledger runbook (through the e2e helper), with "is it applied now?" verifies. */
export function writeCrashRunbook(dir: string, steps: number): string {
  const specs = Array.from({ length: steps }, (_, index) => {
    const n = index + 1;
    // The last ledger entry about step n says whether it is applied now.
    const lastIs = (want: string) => `[ "$(grep -x -e step-${n} -e undo-${n} \${dir}/ledger 2>/dev/null | tail -n 1)" = ${want}-${n} ]`;
    return {
      verify: lastIs('step'),
      rollback: { run: `echo undo-${n} >> \${dir}/ledger`, verify: lastIs('undo') },
    };
  });
  return writeLedgerRunbook(dir, specs, { name: 'crash', defaults: { timeout: '1m', onFailure: 'stop' } });
}

function killNow(proc: CliProcess): void {
  proc.child.kill('SIGKILL');
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count += 1;
  return count;
}

function lastEventType(file: string): string {
  if (!existsSync(file)) return '(no journal)';
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  try {
    return (JSON.parse(lines.at(-1) ?? '') as { type?: string }).type ?? '(unknown)';
  } catch {
    return '(torn line)';
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
