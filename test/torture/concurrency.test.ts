/**
 * Ten cutover processes (run, rollback and approve, mixed) started at the same instant on
 * one journal, four times over (twenty under `npm run torture`). The lock admits one mutating command at a time: the
 * others exit 4 naming the holder (user@host, pid, command), write nothing, and the
 * journal stays one valid chain in which every process's events form one contiguous block.
 *
 * Each process gets its own CI_JOB_ID, which cutover records in every event's `by` and in
 * the lock, so the journal says which process wrote which line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import type { CliResult } from '../e2e/helpers.js';
import { cli, cliEnv, describeResult, journalPath, readLedger, requireBuild, scratch, startCli, writeLedgerRunbook } from '../e2e/helpers.js';
import { Rng, STACK_FRAME, sized, tortureSeed } from './support.js';

beforeAll(requireBuild);

/**
 * 4 rounds in `npm test`, 20 under `npm run torture`; TORTURE_ROUNDS overrides both (each
 * round: 10 CLI processes, about 1.5 s on an idle 2-core machine).
 */
const ROUNDS = Number(process.env.TORTURE_ROUNDS ?? sized(4, 20));
const PROCESSES = 10;
const seed = tortureSeed();

interface Launched {
  label: string;
  command: 'run' | 'rollback' | 'approve';
  pid: number;
  result: CliResult;
}

describe('concurrent commands on one journal', () => {
  it(`${PROCESSES} run/rollback/approve processes at once, ${ROUNDS} times: one mutates at a time, the others exit 4 naming it (seed ${seed})`, async (context) => {
    const rng = new Rng(seed);
    const dir = scratch(context);
    // A short pause in each step keeps a run holding the lock while the others arrive.
    const runbook = writeLedgerRunbook(
      dir,
      [
        { run: 'echo step-1 >> ${dir}/ledger; sleep 0.05' },
        { run: 'echo step-2 >> ${dir}/ledger; sleep 0.05' },
        { id: 'gate', run: { manual: 'look at it' }, verify: null, rollback: 'none', irreversible: 'an approval has nothing to undo' },
        { run: 'echo step-4 >> ${dir}/ledger; sleep 0.05' },
      ],
      { name: 'race', defaults: { timeout: '1m', onFailure: 'stop' } },
    );
    const file = journalPath(dir, 'race');
    const where = (round: number) => `seed ${seed}, round ${round}`;
    let contended = 0;
    let winners = 0;

    for (let round = 1; round <= ROUNDS; round += 1) {
      const commands = Array.from({ length: PROCESSES }, () => rng.pick(['run', 'run', 'rollback', 'approve'] as const));
      const linesBefore = existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
      const procs = commands.map((command, index) => {
        const label = `r${round}p${index}`;
        const args = command === 'approve' ? ['approve', runbook, 'gate'] : command === 'run' ? ['run', '--yes', runbook] : ['rollback', '--yes', runbook];
        return { label, command, proc: startCli(args, { cwd: dir, env: cliEnv({ CI_JOB_ID: label }), timeoutMs: 30_000 }) };
      });
      context.onTestFinished(() => procs.forEach(({ proc }) => proc.child.kill('SIGKILL')));
      const launched: Launched[] = await Promise.all(
        procs.map(async ({ label, command, proc }) => ({ label, command, pid: proc.pid, result: await proc.done })),
      );
      const byLabel = new Map(launched.map((item) => [item.label, item]));
      const everything = launched.map((item) => `${item.label} ${item.command} pid ${item.pid}: ${describeResult(item.result)}`).join('\n');

      for (const item of launched) {
        const what = `${where(round)}: ${item.label} (${item.command}, pid ${item.pid})`;
        expect(item.result.timedOut, what).toBe(false);
        expect(STACK_FRAME.test(item.result.stdout + item.result.stderr), `${what} printed a stack trace:\n${item.result.stderr}`).toBe(false);
        expect([0, 4], `${what}: ${describeResult(item.result)}`).toContain(item.result.code);
        if (item.result.code !== 4) continue;
        // "locked by root@vm (pid 123, cutover run since 2026-…, ci job r1p3)"
        const named = /locked by \S+@\S+ \(pid (\d+), cutover (run|rollback|approve) since \S+, ci job (r\d+p\d+)\)/.exec(item.result.stderr);
        expect(named, `${what} exited 4 without naming the holder:\n${item.result.stderr}\nall:\n${everything}`).not.toBeNull();
        const [, pid, command, holderLabel] = named as RegExpExecArray;
        const holder = byLabel.get(holderLabel as string);
        expect(holder, `${what} names ${holderLabel}, which is not a process of this round`).toBeDefined();
        expect(holder?.label, `${what} names itself as the holder`).not.toBe(item.label);
        expect(Number(pid), `${what}: the named holder's pid`).toBe(holder?.pid);
        expect(command, `${what}: the named holder's command`).toBe(holder?.command);
        expect(item.result.stderr, `${what}: a live holder must not be called stale`).not.toContain('no longer running');
        contended += 1;
      }

      // One valid chain; the round's events come in one contiguous block per process, all from processes that got the lock.
      const text = readFileSync(file, 'utf8');
      const chain = verifyChain(text);
      expect(chain.torn, where(round)).toBeUndefined();
      const owners = chain.events.slice(linesBefore).map((event) => /\(ci job (r\d+p\d+)\)$/.exec(event.by)?.[1] ?? event.by);
      const blocks = owners.filter((owner, index) => owner !== owners[index - 1]);
      expect(new Set(blocks).size, `${where(round)}: a process's events are interleaved with another's: ${blocks.join(' ')}`).toBe(blocks.length);
      for (const owner of blocks) {
        expect(byLabel.get(owner)?.result.code, `${where(round)}: ${owner} wrote to the journal but did not exit 0`).toBe(0);
      }
      winners += blocks.length;
      expect(existsSync(`${file}.lock`), `${where(round)}: a lock was left behind`).toBe(false);
    }

    // The ledger and status agree: whatever the interleaving of commands, each step is where the journal says.
    const status = await cli(['status', '--json', runbook], { cwd: dir });
    const states = new Map((JSON.parse(status.stdout) as { steps: { id: string; state: string }[] }).steps.map((s) => [s.id, s.state]));
    const ledger = readLedger(dir);
    for (const n of [1, 2, 4]) {
      const last = ledger.filter((line) => line === `step-${n}` || line === `undo-${n}`).at(-1);
      const expected = last === `step-${n}` ? 'succeeded' : last === `undo-${n}` ? 'rolled-back' : 'pending';
      expect(states.get(`step-${n}`), `seed ${seed}: step-${n}; ledger ${ledger.join(' ')}`).toBe(expected);
    }
    console.log(`concurrency (seed ${seed}): ${ROUNDS} rounds of ${PROCESSES}: ${winners} processes wrote, ${contended} exits with 4 naming the holder`);
    // The test only proves something if processes actually met the lock.
    expect(contended, `seed ${seed}`).toBeGreaterThan(ROUNDS);
    // 200 CLI processes: about 30 s on an idle 2-core machine; the bound is for loaded CI runners.
  }, 300_000);
});
