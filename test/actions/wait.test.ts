import { describe, expect, it } from 'vitest';
import { runWait } from '../../src/actions/wait.js';
import { fakeClock } from '../../src/support/clock.js';
import { testContext } from './helpers.js';

describe('wait', () => {
  it('sleeps on the injected clock, not for real', async () => {
    const clock = fakeClock();
    const before = clock.now().getTime();
    const result = await runWait({ kind: 'wait', durationMs: 5 * 60_000 }, testContext({ clock }));
    expect(result).toEqual({ ok: true, tail: [], durationMs: 5 * 60_000 });
    expect(clock.now().getTime() - before).toBe(5 * 60_000);
  });

  it('returns aborted when the signal fires', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runWait({ kind: 'wait', durationMs: 60_000 }, testContext({ signal: controller.signal }));
    expect(result).toMatchObject({ ok: false, aborted: true, reason: 'aborted' });
  });

  it('is aborted mid-sleep on the system clock too', async () => {
    const { systemClock } = await import('../../src/support/clock.js');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const result = await runWait({ kind: 'wait', durationMs: 60_000 }, testContext({ clock: systemClock, signal: controller.signal }));
    expect(result).toMatchObject({ ok: false, aborted: true });
  });

  it('honours a step timeout shorter than the wait', async () => {
    const result = await runWait({ kind: 'wait', durationMs: 10 * 60_000 }, testContext({ timeoutMs: 60_000 }));
    expect(result).toMatchObject({ ok: false, timedOut: true, reason: 'timed out after 1m', durationMs: 60_000 });
  });
});
