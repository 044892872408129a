/**
 * Stopping at the right moment says the right thing (issue 18): Ctrl-C during a bake wait
 * is not an interrupted step; Ctrl-C at the failure menu is Abort (the step stays failed,
 * exit 1, as docs/running.md says); after a failed precheck the menu has nothing of the
 * step to roll back, and the failure line is printed once.
 */
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, describeResult, journalPath, readJournal, requireBuild, scratch, startCli, waitUntil, writeLedgerRunbook } from './helpers.js';
import { KEY, PtySession } from './pty.js';

beforeAll(requireBuild);

function terminal(context: TestContext, dir: string, args: string[]): PtySession {
  const env = cliEnv({ TERM: 'xterm-256color' });
  delete env.CI;
  const session = new PtySession([process.execPath, CLI, ...args], { cwd: dir, env, timeoutMs: 25_000 });
  context.onTestFinished(() => session.kill());
  return session;
}

describe.concurrent('stopping', () => {
  it('Ctrl-C during a bake wait: "stopped while waiting for the bake of step-1", exit 130, step-1 still succeeded', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{ bake: '10m' }, {}]);
    const run = startCli(['run', '--yes', '--bake', 'wait', runbook], { cwd: dir });
    await waitUntil(
      () => `a bake line; stderr:\n${run.stderr()}`,
      () => run.stderr().includes('baking:'),
    );
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, describeResult(result)).toBe(130);
    expect(result.stderr).toContain('stopped (SIGINT) while waiting for the bake of step-1; step-1 itself succeeded.');
    expect(result.stderr).not.toContain('interrupted (SIGINT) during step-1');
    // Nothing was running: no "stopping the running step".
    expect(result.stderr).toContain('SIGINT: stopping…');
    expect(result.stderr).not.toContain('stopping the running step');
    const events = readJournal(journalPath(dir));
    expect(events.filter((e) => e.step === 'step-1').map((e) => e.type)).not.toContain('step.interrupted');
  });

  it('Ctrl-C while a step\'s process runs: "stopping the running step", and it is interrupted', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{ run: 'echo started; sleep 30' }]);
    const run = startCli(['run', '--yes', runbook], { cwd: dir });
    await waitUntil(
      () => `the step's output; stderr:\n${run.stderr()}`,
      () => run.stderr().includes('│ started'),
    );
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, describeResult(result)).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping the running step (press Ctrl-C again to kill it)…');
    expect(readJournal(journalPath(dir)).map((e) => e.type)).toContain('step.interrupted');
  });

  it('Ctrl-C at the failure menu is Abort: journaled, the step stays failed, exit 1', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{ run: 'echo broken; exit 1' }]);
    const tty = terminal(context, dir, ['run', runbook]);
    await tty.answer('Step 1/1 step-1', KEY.enter);
    await tty.answer('What now with step-1?', KEY.ctrlC);
    const result = await tty.done;
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('failed: step step-1');
    // The failure line once: the menu does not repeat it.
    expect(result.output.match(/step-1 failed \(action\)/g)).toHaveLength(1);
    const decision = readJournal(journalPath(dir)).find((e) => e.type === 'decision' && e.step === 'step-1' && String(e.data.prompt).startsWith('step failed'));
    expect(decision?.data.choice).toBe('abort');
  });

  it('after a failed precheck the failure menu does not offer "Roll back this step"', async (context) => {
    const dir = scratch(context);
    const runbook = writeLedgerRunbook(dir, [{ precheck: 'false' }]);
    const tty = terminal(context, dir, ['run', runbook]);
    await tty.answer('Step 1/1 step-1', KEY.enter);
    await tty.waitFor('What now with step-1?');
    await tty.answer('Abort', KEY.ctrlC);
    const result = await tty.done;
    const menu = result.output.slice(result.output.indexOf('What now with step-1?'));
    expect(menu).toContain('Roll back everything');
    expect(menu).not.toContain('Roll back this step');
  });
});
