import { describe, expect, it } from 'vitest';
import { runAction } from '../../src/actions/index.js';
import type { Action } from '../../src/runbook/types.js';
import { recorder, sh, testContext } from './helpers.js';

describe('runAction', () => {
  it('dispatches shell, exec and wait', async () => {
    const out = recorder();
    expect((await runAction(sh('echo via shell'), testContext({ onOutput: out.onOutput }))).ok).toBe(true);
    expect((await runAction({ kind: 'exec', argv: ['echo', 'via exec'], env: {} }, testContext({ onOutput: out.onOutput }))).ok).toBe(true);
    expect(await runAction({ kind: 'wait', durationMs: 1_000 }, testContext())).toMatchObject({ ok: true, durationMs: 1_000 });
    expect(out.lines.map((l) => l.line)).toEqual(['via shell', 'via exec']);
  });

  it('refuses actions that are not run as processes', () => {
    const others: Action[] = [
      { kind: 'manual', instructions: 'check the dashboard' },
      { kind: 'route53', zone: 'Z1', name: 'app.example.com.', type: 'A', weights: { a: 1 }, wait: true, allowAllZero: false },
      { kind: 'elbv2', target: { kind: 'listener', arn: 'arn:aws:elasticloadbalancing:x' }, weights: { tg: 1 } },
    ];
    for (const action of others) expect(() => runAction(action, testContext())).toThrow(/internal error/);
  });
});
