/**
 * The interactive operator, driven through a real pseudo-terminal with keystrokes:
 * enquirer's select prompts answered with arrow keys and Enter, or a choice's single key.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  cliEnv,
  groupRunning,
  journalPath,
  readJournal,
  readLedger,
  requireBuild,
  scratch,
  sleep,
  stepTimeline,
  timeline,
  waitUntil,
  writeLedgerRunbook,
} from './helpers.js';
import { KEY, PtySession } from './pty.js';

beforeAll(requireBuild);

/** `cutover <args>` on a terminal, as a person at a keyboard; CI is not set (it would disable the prompts). */
function terminal(context: TestContext, dir: string, args: string[]): PtySession {
  const env = cliEnv({ TERM: 'xterm-256color' });
  delete env.CI;
  delete env.NO_COLOR;
  const session = new PtySession([process.execPath, CLI, ...args], { cwd: dir, env, timeoutMs: 25_000 });
  context.onTestFinished(() => session.kill());
  return session;
}

describe.concurrent('interactive run through a pseudo-terminal', () => {
  it('Run step 1, Skip step 2, Quit at step 3: each choice is journaled and step 3 never starts', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, {}, {}]);
    const tty = terminal(context, dir, ['run', runbook]);

    // Choices: Run [r], Run all remaining without asking [c], Skip [s], Show details [d], Quit [q]; Enter takes the first.
    await tty.answer('Step 1/3 step-1', KEY.enter);
    await tty.waitFor('step-1 succeeded');
    await tty.answer('Step 2/3 step-2', KEY.down, KEY.down, KEY.enter);
    await tty.waitFor('step-2 skipped');
    await tty.answer('Step 3/3 step-3', 'q');
    const result = await tty.done;

    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('stopped before step-3');
    expect(readLedger(dir)).toEqual(['step-1']);

    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events)).toEqual([
      'decision:step-1',
      'step.started:step-1',
      'step.succeeded:step-1',
      'decision:step-2',
      'step.skipped:step-2',
      'decision:step-3',
    ]);
    const decisions = events.filter((e) => e.type === 'decision').map((e) => [e.step, e.data.choice]);
    expect(decisions).toEqual([
      ['step-1', 'run'],
      ['step-2', 'skip'],
      ['step-3', 'quit'],
    ]);
    expect(events.some((e) => e.step === 'step-3' && e.type === 'step.started')).toBe(false);
    expect(timeline(events).at(-1)).toBe('run.finished');
  });

  it('a failed step rolled back by the operator: step.failed, decision, rollback; the ledger shows the undo; exit 1', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, { run: 'echo step-2 >> ${dir}/ledger; echo disk full >&2; exit 1', onFailure: 'ask' }, {}]);
    const tty = terminal(context, dir, ['run', runbook]);

    await tty.answer('Step 1/3 step-1', KEY.enter);
    await tty.answer('Step 2/3 step-2', KEY.enter);
    await tty.waitFor('step-2 failed');
    // Choices: Retry, Roll back this step, Roll back everything, Skip, Abort.
    await tty.answer('What now with step-2?', KEY.down, KEY.enter);
    const result = await tty.done;

    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('disk full');
    expect(result.output).toMatch(/rolled back step-2 after a failure/);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2', 'undo-2']);

    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events)).toEqual([
      'decision:step-1',
      'step.started:step-1',
      'step.succeeded:step-1',
      'decision:step-2',
      'step.started:step-2',
      'step.failed:step-2',
      'decision:step-2',
      'rollback.started:step-2',
      'rollback.succeeded:step-2',
    ]);
    const failureDecision = events.filter((e) => e.type === 'decision').at(-1);
    expect(failureDecision?.data.choice).toBe('rollback-step');
    expect(failureDecision?.by).toMatch(/@/);
    expect(events.find((e) => e.type === 'step.failed')?.data).toMatchObject({ phase: 'action', exitCode: 1 });
  });

  it('Ctrl-C at the terminal stops the step; a second Ctrl-C kills a command that ignores it; exit 130', async (context) => {
    const dir = scratch(context);
    // The command ignores SIGINT and SIGTERM, so only the second Ctrl-C (SIGKILL to its group) ends it.
    const stubborn = "trap '' INT TERM; echo step-1 >> ${dir}/ledger; sleep 30";
    const runbook = writeLedgerRunbook(dir, [{ run: stubborn, confirm: false }, {}]);
    const tty = terminal(context, dir, ['run', runbook]);

    await tty.waitFor('step-1 started');
    await waitUntil('step-1 has made its effect', () => readLedger(dir).includes('step-1'));
    await tty.send(KEY.ctrlC); // the terminal turns it into SIGINT for cutover (its children have their own group)
    await tty.waitFor('press Ctrl-C again to kill it');
    await sleep(300);
    expect(readJournal(journalPath(dir)).some((e) => e.type === 'step.interrupted')).toBe(false); // still waiting for the command
    await tty.send(KEY.ctrlC);
    const result = await tty.done;

    expect(result.code, result.output).toBe(130);
    expect(result.output).toContain('interrupted (SIGINT) during step-1');
    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events)).toEqual(['step.started:step-1', 'step.interrupted:step-1']);
    const pgid = events.find((e) => e.type === 'step.spawned')?.data.pgid as number;
    expect(groupRunning(pgid)).toBe(false);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
  });

  it('run --yes at a terminal (the live task list): Ctrl-C still journals step.interrupted, stops the command and exits 130', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{}, { run: 'echo step-2 >> ${dir}/ledger; sleep 30' }, {}]);
    const tty = terminal(context, dir, ['run', '--yes', runbook]);

    await waitUntil('step-2 has made its effect', () => readLedger(dir).includes('step-2'));
    await tty.waitFor('step-1');
    await sleep(200);
    await tty.send(KEY.ctrlC);
    const result = await tty.done;

    expect(result.code, result.output).toBe(130);
    const events = readJournal(journalPath(dir));
    expect(stepTimeline(events)).toEqual(['step.started:step-1', 'step.succeeded:step-1', 'step.started:step-2', 'step.interrupted:step-2']);
    const pgid = events.find((e) => e.type === 'step.spawned' && e.step === 'step-2')?.data.pgid as number;
    expect(groupRunning(pgid)).toBe(false);
    expect(existsSync(`${journalPath(dir)}.lock`)).toBe(false);
    expect(readLedger(dir)).toEqual(['step-1', 'step-2']);
  });
});
