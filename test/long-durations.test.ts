/**
 * Durations longer than setTimeout can hold (2^31-1 ms, about 24.8 days) are honoured, not
 * fired after 1 ms: a step timeout of 25 days, a retry delay of a week or a month-long bake
 * wait as long as they say. Beyond 365 days a duration is refused by validate.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCheck } from '../src/actions/checks.js';
import { runShell } from '../src/actions/shell.js';
import { loadRunbookText } from '../src/runbook/load.js';
import { MAX_TIMER_MS, setLongTimeout, systemClock } from '../src/support/clock.js';
import { cli, cliEnv, describeResult, requireBuild, scratch, startCli, sleep } from './e2e/helpers.js';
import { sh, testContext } from './actions/helpers.js';

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('long timers', () => {
  it('setLongTimeout fires after 25 days, not before', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 25 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(25 * DAY - MAX_TIMER_MS - 20);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('the system clock sleeps 60 days (a bake, a retry delay, a wait), and can still be aborted', async () => {
    vi.useFakeTimers();
    let done = false;
    void systemClock.sleep(60 * DAY).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(59 * DAY);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(done).toBe(true);
    const controller = new AbortController();
    const aborted = systemClock.sleep(60 * DAY, controller.signal);
    await vi.advanceTimersByTimeAsync(30 * DAY);
    controller.abort('SIGINT');
    await expect(aborted).rejects.toBe('SIGINT');
  });

  it('a command with a 25-day timeout runs to its end', async () => {
    const result = await runShell(sh('sleep 0.3; echo done'), testContext({ timeoutMs: 25 * DAY }));
    expect(result).toMatchObject({ ok: true, tail: ['done'] });
  });

  it('an http check with a 25-day request timeout waits for the answer', async () => {
    const server = createServer((_request, response) => setTimeout(() => response.end('ok'), 300));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const check = {
        kind: 'http' as const,
        url: `http://127.0.0.1:${port}/`,
        method: 'GET',
        headers: {},
        expectStatus: [200],
        samples: 1,
        minSuccess: 1,
        intervalMs: 0,
        timeoutMs: 25 * DAY,
      };
      expect(await runCheck([check], testContext({ clock: systemClock }))).toMatchObject({ ok: true });
    } finally {
      server.close();
    }
  });
});

describe('validate', () => {
  const runbook = (duration: string) =>
    `cutover: 1\nname: d\nsteps:\n  - id: s\n    run: echo\n    rollback: none\n    irreversible: x\n    bake: ${duration}\n`;

  it('accepts up to 365 days and refuses more, naming the limit', () => {
    expect(loadRunbookText('d.yaml', runbook('365d')).ok).toBe(true);
    const result = loadRunbookText('d.yaml', runbook('365d1ms'));
    expect(result.ok ? [] : result.diagnostics).toMatchObject([
      { line: 8, col: 11, message: '"bake": "365d1ms" is longer than 365d, the longest duration cutover accepts' },
    ]);
  });
});

describe('through the CLI', () => {
  it('timeout: 25d lets the step finish; retry.delay: 25d really waits before the second attempt', async (context) => {
    requireBuild();
    const dir = scratch(context);
    const file = path.join(dir, 'long.yaml');
    writeFileSync(
      file,
      `cutover: 1
name: long
steps:
  - id: slow
    run: sleep 0.3
    timeout: 25d
    rollback: none
    irreversible: test
  - id: flaky
    run: echo attempt >> attempts; exit 1
    retry: { attempts: 2, delay: 25d }
    onFailure: stop
    rollback: none
    irreversible: test
`,
    );
    const env = cliEnv({ CI: 'true' });
    const running = startCli(['run', '--yes', file], { cwd: dir, env, timeoutMs: 30_000 });
    const deadline = Date.now() + 15_000;
    while (!running.stderr().includes('flaky') && Date.now() < deadline) await sleep(50);
    await sleep(1_500);
    expect(readFileSync(path.join(dir, 'attempts'), 'utf8')).toBe('attempt\n');
    running.child.kill('SIGTERM');
    const result = await running.done;
    expect(result.code, describeResult(result)).toBe(143);
    expect(result.stderr).toContain('slow succeeded');
    const status = await cli(['status', file], { cwd: dir, env });
    expect(status.stdout).toMatch(/slow\s+succeeded/);
  }, 60_000);
});
