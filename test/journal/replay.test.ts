import { describe, expect, it } from 'vitest';
import type { JournalEvent, NewEvent } from '../../src/journal/events.js';
import type { StepState } from '../../src/journal/replay.js';
import { isDone, replay, stepState } from '../../src/journal/replay.js';
import { buildJournal, failed, started, succeeded } from '../helpers/journal-fixtures.js';

const spawned = (id: string, pid: number, phase: 'action' | 'rollback' = 'action'): NewEvent => ({
  type: 'step.spawned',
  step: id,
  data: { pid, pgid: pid, host: 'laptop', phase },
});
const captured = (id: string, state: unknown): NewEvent => ({
  type: 'step.captured',
  step: id,
  data: { kind: 'route53', target: 'route53:Z:app.:A', label: 'app. A in Z', weights: {}, state },
});
const rollbackStarted = (id: string): NewEvent => ({ type: 'rollback.started', step: id, data: { digest: `digest-${id}`, reason: 'operator chose rollback' } });

const stateOf = (body: NewEvent[]) => replay(buildJournal(body).events);

describe('replay', () => {
  it('is empty for no events', () => {
    const state = replay([]);
    expect(state.lastSeq).toBe(0);
    expect(state.steps.size).toBe(0);
    expect(stepState(state, 'a')).toBe('pending');
  });

  it.each<[string, NewEvent[], StepState]>([
    ['started', [started('a')], 'running'],
    ['succeeded', [started('a'), succeeded('a')], 'succeeded'],
    ['failed', [started('a'), failed('a')], 'failed'],
    ['interrupted', [started('a'), { type: 'step.interrupted', step: 'a', data: { signal: 'SIGINT', reason: 'Ctrl-C' } }], 'interrupted'],
    ['skipped', [{ type: 'step.skipped', step: 'a', data: { reason: 'operator' } }], 'skipped'],
    ['rolling back', [started('a'), succeeded('a'), rollbackStarted('a')], 'rolling-back'],
    ['rolled back', [started('a'), succeeded('a'), rollbackStarted('a'), { type: 'rollback.succeeded', step: 'a', data: { durationMs: 5 } }], 'rolled-back'],
    [
      'rollback failed',
      [started('a'), succeeded('a'), rollbackStarted('a'), { type: 'rollback.failed', step: 'a', data: { phase: 'verify', reason: 'still there' } }],
      'rollback-failed',
    ],
    [
      'started again after a rollback',
      [started('a'), succeeded('a'), rollbackStarted('a'), { type: 'rollback.succeeded', step: 'a', data: { durationMs: 5 } }, started('a')],
      'running',
    ],
    [
      'interrupted during rollback (the rollback is what is unfinished)',
      [started('a'), succeeded('a'), rollbackStarted('a'), { type: 'step.interrupted', step: 'a', data: { reason: 'Ctrl-C' } }],
      'rolling-back',
    ],
  ])('%s', (_name, body, expected) => {
    expect(stepState(stateOf(body), 'a')).toBe(expected);
  });

  it('only succeeded and skipped are done; a rolled-back step runs again', () => {
    const done = (['pending', 'running', 'succeeded', 'failed', 'interrupted', 'skipped', 'rolling-back', 'rolled-back', 'rollback-failed'] as const).filter(
      isDone,
    );
    expect(done).toEqual(['succeeded', 'skipped']);
  });

  it('keeps steps in first-seen order with their run details', () => {
    const body: NewEvent[] = [
      { type: 'run.started', data: { command: 'run', runbook: 'web', file: 'web.yaml', options: { yes: true } } },
      started('b', 'd-b1'),
      spawned('b', 100),
      captured('b', { weights: { onprem: 100 } }),
      failed('b', 'exit 3'),
      { type: 'decision', step: 'b', data: { prompt: 'b failed', choice: 'retry' } },
      started('b', 'd-b2'),
      captured('b', { weights: { onprem: 90 } }),
      succeeded('b', 1234),
      started('a'),
      spawned('a', 200),
      { type: 'run.finished', data: { command: 'run', outcome: 'interrupted' } },
    ];
    const state = stateOf(body);
    expect([...state.steps.keys()]).toEqual(['b', 'a']);
    const b = state.steps.get('b');
    expect(b).toMatchObject({
      state: 'succeeded',
      digest: 'd-b2',
      attempts: 2,
      captured: { state: { weights: { onprem: 90 } } },
      startedAt: '2026-01-01T00:00:07.000Z',
      finishedAt: '2026-01-01T00:00:09.000Z',
      durationMs: 1234,
      by: 'alice@laptop',
      lastSeq: 10,
    });
    expect(b?.definition?.digest).toBe('d-b2');
    // The child and failure of the earlier run belong to that run.
    expect(b?.child).toBeUndefined();
    expect(b?.failure).toBeUndefined();

    const a = state.steps.get('a');
    expect(a).toMatchObject({ state: 'running', attempts: 1, child: { pid: 200, pgid: 200, host: 'laptop', phase: 'action' } });
    expect(a?.captured).toBeUndefined();

    expect(state.runs).toEqual([
      {
        seq: 2,
        command: 'run',
        by: 'alice@laptop',
        startedAt: '2026-01-01T00:00:01.000Z',
        options: { yes: true },
        finished: { ts: '2026-01-01T00:00:12.000Z', outcome: 'interrupted' },
      },
    ]);
    expect(state.decisions).toEqual([{ seq: 7, ts: '2026-01-01T00:00:06.000Z', by: 'alice@laptop', step: 'b', prompt: 'b failed', choice: 'retry' }]);
    expect(state.runbook).toBe('web');
    expect(state.lastSeq).toBe(13);
  });

  it('records failures, rollbacks, approvals, watches and repairs', () => {
    const state = stateOf([
      started('a'),
      failed('a', 'exit 7'),
      rollbackStarted('a'),
      spawned('a', 300, 'rollback'),
      { type: 'rollback.succeeded', step: 'a', data: { durationMs: 50 } },
      { type: 'approval', step: 'm', data: { digest: 'd-m', note: 'lag ok' } },
      { type: 'bake.watch', step: 'a', data: { ok: false, summary: '18/20' } },
      { type: 'journal.repaired', data: { line: 9, droppedBytes: 12 } },
      { type: 'changes.accepted', step: 'a', data: { digestBefore: 'x', digestAfter: 'y' } },
    ]);
    const a = state.steps.get('a');
    expect(a).toMatchObject({
      state: 'rolled-back',
      failure: 'exit 7',
      child: { pid: 300, phase: 'rollback' },
      rollback: {
        digest: 'digest-a',
        reason: 'operator chose rollback',
        startedAt: '2026-01-01T00:00:03.000Z',
        finishedAt: '2026-01-01T00:00:05.000Z',
        durationMs: 50,
      },
      lastWatch: { ok: false, summary: '18/20' },
    });
    expect(state.approvals).toEqual([{ seq: 7, ts: '2026-01-01T00:00:06.000Z', by: 'alice@laptop', step: 'm', digest: 'd-m', note: 'lag ok' }]);
    expect(stepState(state, 'm')).toBe('pending');
    expect(state.repairs).toEqual([{ seq: 9, ts: '2026-01-01T00:00:08.000Z', line: 9, droppedBytes: 12 }]);
    expect(state.changesAccepted).toHaveLength(1);
  });

  it('replays 100,000 events to the right final states', () => {
    const steps = 10_000;
    const events: JournalEvent[] = [];
    let seq = 0;
    const push = (...batch: NewEvent[]) => {
      for (const event of batch) {
        seq += 1;
        events.push({ v: 1, seq, ts: new Date(Date.UTC(2026, 0, 1) + seq).toISOString(), by: `user${seq % 3}@host`, prev: null, ...event } as JournalEvent);
      }
    };
    const watch = (id: string, ok: boolean, summary: string): NewEvent => ({ type: 'bake.watch', step: id, data: { ok, summary } });
    const decision = (id: string, choice: string): NewEvent => ({ type: 'decision', step: id, data: { prompt: 'p', choice } });
    for (let index = 0; index < steps; index += 1) {
      const id = `step-${index}`;
      if (index % 3 === 0) {
        // failed, retried, succeeded
        push(
          started(id),
          spawned(id, index + 1),
          captured(id, { n: 1 }),
          failed(id),
          started(id),
          spawned(id, index + 2),
          captured(id, { n: index }),
          succeeded(id, index),
          watch(id, true, 'ok'),
          decision(id, 'run'),
        );
      } else if (index % 3 === 1) {
        // succeeded, rolled back, started again and left running by a crash
        push(
          started(id),
          captured(id, { n: -1 }),
          succeeded(id),
          rollbackStarted(id),
          spawned(id, 7, 'rollback'),
          { type: 'rollback.succeeded', step: id, data: { durationMs: 1 } },
          started(id),
          spawned(id, 9),
          captured(id, { n: index }),
          { type: 'approval', step: id, data: { digest: 'd' } },
        );
      } else {
        // failed, rollback failed
        push(
          started(id),
          spawned(id, 3),
          failed(id, 'boom'),
          rollbackStarted(id),
          spawned(id, 4, 'rollback'),
          { type: 'rollback.failed', step: id, data: { phase: 'action', reason: `rb ${index}` } },
          decision(id, 'abort'),
          watch(id, false, 'x'),
          watch(id, false, 'y'),
          watch(id, false, 'z'),
        );
      }
    }
    expect(events).toHaveLength(100_000);

    const state = replay(events);
    expect(state.lastSeq).toBe(100_000);
    expect(state.steps.size).toBe(steps);
    expect([...state.steps.keys()].slice(0, 3)).toEqual(['step-0', 'step-1', 'step-2']);
    // One comparison of compact summaries: 10,000 toMatchObject calls would dominate the test.
    const summary = [...state.steps.values()].map((step) => [
      step.id,
      step.state,
      step.attempts,
      step.captured?.state,
      step.child?.pid,
      step.child?.phase,
      step.failure,
      step.lastWatch?.summary,
    ]);
    const expected = Array.from({ length: steps }, (_, index) => {
      const id = `step-${index}`;
      if (index % 3 === 0) return [id, 'succeeded', 2, { n: index }, index + 2, 'action', undefined, 'ok'];
      if (index % 3 === 1) return [id, 'running', 2, { n: index }, 9, 'action', undefined, undefined];
      return [id, 'rollback-failed', 1, undefined, 4, 'rollback', `rb ${index}`, 'z'];
    });
    expect(summary).toEqual(expected);
    expect(state.steps.get('step-0')?.durationMs).toBe(0);
    expect(state.steps.get('step-3')?.durationMs).toBe(3);
    expect(state.decisions).toHaveLength(Math.ceil(steps / 3) + Math.floor(steps / 3));
    expect(state.approvals).toHaveLength(Math.floor((steps + 1) / 3));
  });
});
