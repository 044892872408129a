import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ELBV2_TARGET_HEALTH_UNAVAILABLE, runCheck } from '../../src/actions/checks.js';
import type { SingleCheck } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import { sh, tempDir, testContext } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

const shellCheck = (script: string, extra: Partial<Extract<SingleCheck, { kind: 'shell' }>> = {}): SingleCheck => ({ ...sh(script), ...extra });

describe('command checks', () => {
  it('pass on exit 0', async () => {
    expect(await runCheck([shellCheck('true')], testContext())).toEqual({ ok: true, summary: '`true` passed', details: [] });
    expect((await runCheck([{ kind: 'exec', argv: ['test', '-d', '/'], env: {} }], testContext())).ok).toBe(true);
  });

  it('fail otherwise, with the output tail as details', async () => {
    const result = await runCheck([shellCheck('echo "replica lag 12s"; exit 1')], testContext());
    expect(result).toEqual({ ok: false, summary: '`echo "replica lag 12s"; exit 1` failed: exited with code 1', details: ['replica lag 12s'] });
  });

  it('are stopped by the timeout', async () => {
    const result = await runCheck([shellCheck('sleep 1000')], testContext({ timeoutMs: 200 }));
    expect(result).toMatchObject({ ok: false, summary: '`sleep 1000` failed: timed out after 200ms' });
  });
});

describe('check lists', () => {
  it('pass when all pass', async () => {
    expect(await runCheck([shellCheck('true'), shellCheck('exit 0')], testContext())).toMatchObject({ ok: true, summary: 'all 2 checks passed' });
  });

  it('stop at the first failure and say which', async () => {
    const result = await runCheck([shellCheck('true'), shellCheck('echo nope; exit 4'), shellCheck('touch third-ran')], testContext({ cwd: dir.path }));
    expect(result).toEqual({ ok: false, summary: 'check 2 of 3 failed: `echo nope; exit 4` failed: exited with code 4', details: ['check 2: nope'] });
    expect(existsSync(join(dir.path, 'third-ran'))).toBe(false);
  });

  it('pass trivially when empty', async () => {
    expect(await runCheck([], testContext())).toMatchObject({ ok: true });
  });
});

describe('retry', () => {
  // Counts its runs in a file; passes from the third run on.
  const thirdTimeLucky = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "attempt $n"; [ $n -ge 3 ]';

  it('polls until the check passes, on the injected clock', async () => {
    const clock = fakeClock();
    const before = clock.now().getTime();
    const result = await runCheck([shellCheck(thirdTimeLucky, { retry: { forMs: 120_000, intervalMs: 10_000 } })], testContext({ cwd: dir.path, clock }));
    expect(result.ok).toBe(true);
    expect(result.summary).toMatch(/passed \(passed on attempt 3\)$/);
    expect(clock.now().getTime() - before).toBe(20_000);
  });

  it('gives up after forMs, with a last attempt at the deadline', async () => {
    const clock = fakeClock();
    const result = await runCheck([shellCheck('exit 1', { retry: { forMs: 25_000, intervalMs: 10_000 } })], testContext({ clock }));
    expect(result).toMatchObject({ ok: false, summary: '`exit 1` failed: exited with code 1 (still failing after 25s, 4 attempts)' });
  });

  it('stops retrying when aborted', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    const original = clock.sleep;
    clock.sleep = async (ms, signal) => {
      controller.abort();
      return original(ms, signal);
    };
    const result = await runCheck([shellCheck('exit 1', { retry: { forMs: 60_000, intervalMs: 10_000 } })], testContext({ clock, signal: controller.signal }));
    expect(result).toMatchObject({ ok: false, aborted: true });
  });
});

describe('elbv2TargetHealth', () => {
  it('is not available yet, and is not retried', async () => {
    const check: SingleCheck = { kind: 'elbv2TargetHealth', targetGroup: 'tg', minHealthy: 2, retry: { forMs: 3_600_000, intervalMs: 10_000 } };
    const clock = fakeClock();
    const before = clock.now().getTime();
    expect(await runCheck([check], testContext({ clock }))).toEqual({ ok: false, summary: ELBV2_TARGET_HEALTH_UNAVAILABLE, details: [] });
    expect(clock.now().getTime()).toBe(before);
  });
});
