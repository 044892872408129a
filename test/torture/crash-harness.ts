/**
 * The crash harness: cutover is stopped at seeded random moments while it runs, while it
 * rolls back, and while it rehearses (`rehearse --return`, on its own journal) a 30-step
 * runbook whose steps append to a ledger file. Most stops are SIGKILL (nothing runs on the
 * way out); the others are SIGTERM, SIGINT or SIGHUP, which cutover handles (the running
 * command is stopped, the step or rollback journaled as interrupted, the lock released, exit
 * 143/130/129). After a SIGKILL the lock (which a killed holder leaves behind by design) is
 * cleared with `cutover unlock`; then the work is continued with `cutover resume --yes
 * --on-interrupted retry` (or `rollback --yes`, or `rehearse --yes --return` again) until it
 * completes. After each completed phase it checks:
 *
 * - the journals parse and their hash chains hold (src/journal verifyChain), with no torn line;
 * - every step was applied exactly once in the ledger, in runbook order;
 * - the rollbacks were applied in exact reverse order (and, with strictRollbackOnce, once each);
 * - rehearse: per step the ledger alternates apply, undo, apply… (an action never runs on top
 *   of itself, an undo's effect happens at most once per apply), starting from undone and
 *   ending undone (--return), and the completed rehearsal reports every step passed;
 * - no lock file is left, and a signalled (not killed) command left none either;
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
import path from 'node:path';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliResult } from '../e2e/helpers.js';
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
   * At most this many kills in one run, rollback or rehearse phase (default 12); the phase
   * then runs to its end. Keeps a short campaign on a slow machine from spending every kill
   * on the run phase and none on the rollback or the rehearsal.
   */
  maxKillsPerPhase?: number;
  /** A `rehearse --return` phase after each rollback (default true). */
  rehearse?: boolean;
}

export type Phase = 'run' | 'rollback' | 'rehearse';

/** How a command is stopped: SIGKILL (a crash), or a signal cutover handles. */
export type StopSignal = 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGHUP';

/** What a handled signal makes cutover exit with. */
const SIGNAL_EXIT: Record<Exclude<StopSignal, 'SIGKILL'>, number> = { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 };

export interface KillRecord {
  phase: Phase;
  command: string;
  signal: StopSignal;
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
  killsInRehearse: number;
  /** Stops by SIGTERM, SIGINT or SIGHUP that cutover handled (exit 143/130/129), by signal. */
  signalled: Record<string, number>;
  /** The same, by phase. */
  signalledIn: Record<Phase, number>;
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
  /** Completed rehearse --return phases, checked. */
  rehearsals: number;
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
  const rehearsalJournal = path.join(dir, '.cutover', 'crash.rehearsal.jsonl');
  const journalOf = (name: Phase) => (name === 'rehearse' ? rehearsalJournal : journal);
  const env = cliEnv({ CI: 'true' });
  const runbook = writeCrashRunbook(dir, stepCount);
  const ids = Array.from({ length: stepCount }, (_, index) => `step-${index + 1}`);

  const result: CrashCampaignResult = {
    seed,
    kills: 0,
    killsMidRun: 0,
    killsInRun: 0,
    killsInRollback: 0,
    killsInRehearse: 0,
    signalled: {},
    signalledIn: { run: 0, rollback: 0, rehearse: 0 },
    cycles: 0,
    completions: 0,
    unlocks: 0,
    tornLines: 0,
    repeatedRollbacks: 0,
    landedAfter: {},
    rehearsals: 0,
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

  /** Runs one phase to completion, stopping it (SIGKILL or a handled signal) as long as kills remain; returns the completing command's result. */
  const phase = async (name: Phase): Promise<CliResult> => {
    let first = true;
    let killsHere = 0;
    const file = journalOf(name);
    for (;;) {
      const args =
        name === 'rollback'
          ? ['rollback', '--yes', runbook]
          : name === 'rehearse'
            ? ['rehearse', '--yes', '--return', '--json', runbook]
            : first || !existsSync(journal)
              ? ['run', '--yes', runbook]
              : ['resume', '--yes', '--on-interrupted', 'retry', runbook];
      first = false;
      const eventsBefore = countLines(file);
      const sizeBefore = fileSize(file);
      const proc = startCli(args, { cwd: dir, env, timeoutMs: PROCESS_TIMEOUT_MS });
      let exited: CliResult | undefined;
      void proc.done.then((done) => (exited = done));

      if (result.kills >= options.kills || killsHere >= (options.maxKillsPerPhase ?? 12)) {
        const done = await proc.done;
        checkFinished(done, args);
        return done;
      }
      const mode = rng.chance(0.2) ? 'startup' : 'working';
      const delayMs = mode === 'startup' ? rng.int(0, 450) : rng.int(0, 1200);
      // Mostly crashes; the rest signals cutover handles (a cancelled CI job, Ctrl-C, a dropped ssh session).
      const signal: StopSignal = rng.chance(0.55) ? 'SIGKILL' : rng.pick(['SIGTERM', 'SIGINT', 'SIGHUP'] as const);
      if (mode === 'working') {
        // Until the process has journaled something of its own (or ended).
        const deadline = Date.now() + PROCESS_TIMEOUT_MS;
        while (!exited && fileSize(file) <= sizeBefore && Date.now() < deadline) await sleep(5);
      }
      await sleep(delayMs);
      if (exited) {
        note(`${args[0]}: ended by itself before the ${signal} (${mode} +${delayMs} ms): exit ${exited.code}`);
        checkFinished(exited, args);
        return exited;
      }
      const landedAfter = lastEventType(file);
      proc.child.kill(signal);
      const stopped = await proc.done;
      const handled = signal !== 'SIGKILL' && stopped.code === SIGNAL_EXIT[signal];
      if (stopped.signal !== signal && !handled) {
        // It finished in the instant between the check and the signal.
        note(`${args[0]}: ended by itself as it got ${signal}: exit ${stopped.code}`);
        checkFinished(stopped, args);
        return stopped;
      }
      const eventsWritten = countLines(file) - eventsBefore;
      const record: KillRecord = { phase: name, command: args[0] as string, signal, mode, delayMs, eventsWritten, landedAfter };
      result.kills += 1;
      killsHere += 1;
      if (name === 'run') result.killsInRun += 1;
      else if (name === 'rollback') result.killsInRollback += 1;
      else result.killsInRehearse += 1;
      if (handled) {
        result.signalled[signal] = (result.signalled[signal] ?? 0) + 1;
        result.signalledIn[name] += 1;
      }
      if (eventsWritten > 0) result.killsMidRun += 1;
      result.landedAfter[landedAfter] = (result.landedAfter[landedAfter] ?? 0) + 1;
      note(
        `stop #${result.kills}: ${record.command} ${signal}${handled ? ` (handled, exit ${stopped.code})` : ''} (${mode} +${delayMs} ms), after ${eventsWritten} new events, last ${landedAfter}`,
      );
      if (handled && STACK_FRAME.test(stopped.stdout + stopped.stderr))
        fail(`cutover ${args.join(' ')} printed a stack trace on ${signal}\n${describeResult(stopped)}`);

      // Whatever the moment of the kill, the journal is a valid chain (a torn last line is the one tolerated damage).
      if (existsSync(file)) {
        try {
          if (verifyChain(readFileSync(file, 'utf8')).torn) result.tornLines += 1;
        } catch (error) {
          fail(`after stop #${result.kills} the journal does not verify: ${(error as Error).message}`);
        }
      }
      const lock = `${file}.lock`;
      if (existsSync(lock)) {
        // A command that handled the signal released its lock on the way out.
        if (handled) fail(`cutover ${args[0]} exited ${stopped.code} on ${signal} but left its lock behind: ${readFileSync(lock, 'utf8')}`);
        const unlock = await command(name === 'rehearse' ? ['unlock', '--journal', file, runbook] : ['unlock', runbook]);
        if (unlock.code !== 0) fail(`cutover unlock after stop #${result.kills} did not clear the lock of the dead holder: ${describeResult(unlock)}`);
        if (existsSync(lock)) fail(`cutover unlock exited 0 but ${lock} is still there`);
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
    if (existsSync(lockFile))
      fail(`a lock file is left behind after a completed ${expectedState === 'succeeded' ? 'run' : 'rollback'}: ${readFileSync(lockFile, 'utf8')}`);
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

  /** After a completed `rehearse --return`: alternation per step on the ledger, every step passed, both journals intact. */
  const checkRehearsal = (done: CliResult, ledgerBefore: number) => {
    const lines = readLedger(dir).slice(ledgerBefore);
    for (const [index, id] of ids.entries()) {
      const n = index + 1;
      const mine = lines.filter((line) => line === `step-${n}` || line === `undo-${n}`);
      const expected = mine.map((_, at) => (at % 2 === 0 ? `step-${n}` : `undo-${n}`));
      if (!sameList(mine, expected))
        fail(`rehearse: ${id} was not applied and undone alternately (an action ran on top of itself, or an undo twice): ${mine.join(' ')}`);
      if (mine.length < 4) fail(`rehearse: ${id} was not run, rolled back, run again and returned: ${mine.join(' ')}`);
      if (mine.at(-1) !== `undo-${n}`) fail(`rehearse --return left ${id} applied: ${mine.join(' ')}`);
    }
    const firsts = ids.map((_, index) => lines.indexOf(`step-${index + 1}`));
    if (!firsts.every((at, index) => index === 0 || at > (firsts[index - 1] as number))) fail('rehearse did not take the steps in runbook order');
    let summary: { state?: string; returned?: { state?: string }; steps?: { id: string; verdict: string }[] } = {};
    try {
      summary = JSON.parse(done.stdout.trim().split('\n').at(-1) ?? '{}') as typeof summary;
    } catch {
      fail(`rehearse --json printed no summary:\n${describeResult(done)}`);
    }
    if (summary.state !== 'completed' || summary.returned?.state !== 'rolled_back')
      fail(`rehearse did not complete and return: ${JSON.stringify(summary).slice(0, 400)}`);
    const notPassed = (summary.steps ?? []).filter((row) => row.verdict !== 'passed');
    if ((summary.steps ?? []).length !== ids.length || notPassed.length > 0)
      fail(`rehearse reported steps not passed: ${JSON.stringify(notPassed).slice(0, 400)}`);
    if (existsSync(`${rehearsalJournal}.lock`)) fail('a lock file is left behind after a completed rehearse');
    try {
      const chain = verifyChain(readFileSync(rehearsalJournal, 'utf8'));
      if (chain.torn) fail(`a completed rehearse left a torn last line (line ${chain.torn.line})`);
      // Each passed verdict follows an outcome of that step (its re-apply), never an unresolved interruption.
      const last = new Map<string, string>();
      for (const event of chain.events) {
        if (event.step === undefined || event.type === 'step.spawned') continue;
        if (event.type === 'rehearsal.step' && event.data.verdict === 'passed' && last.get(event.step) !== 'step.succeeded')
          fail(`rehearse journaled "passed" for ${event.step} after ${last.get(event.step)}, not after its re-apply succeeded`);
        last.set(event.step, event.type);
      }
    } catch (error) {
      fail(`the rehearsal journal does not verify: ${(error as Error).message}`);
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

    if (options.rehearse !== false) {
      const before = readLedger(dir).length;
      const done = await phase('rehearse');
      checkRehearsal(done, before);
      // The rehearsal used staging's world and gave it back: the production journal still agrees with the ledger.
      await checkJournalAndStatus('rolled-back');
      result.rehearsals += 1;
    }

    result.cycles += 1;
    options.log?.(
      `seed ${seed}: cycle ${result.cycles} checked; ${result.kills}/${options.kills} stops survived (${result.killsMidRun} mid-run; run ${result.killsInRun}, rollback ${result.killsInRollback}, rehearse ${result.killsInRehearse}; handled signals ${JSON.stringify(result.signalled)}), ` +
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
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
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
