/** notify.sent / notify.failed: validated like every event, replayed without touching any step. */
import { describe, expect, it } from 'vitest';
import { checkEventShape } from '../../src/journal/event-shape.js';
import { replay } from '../../src/journal/replay.js';
import { buildJournal, failed, started, succeeded } from '../helpers/journal-fixtures.js';

describe('notify events in the journal', () => {
  const { events } = buildJournal([
    started('a'),
    succeeded('a'),
    started('b'),
    failed('b'),
    { type: 'notify.sent', data: { webhook: 1, name: 'ops', event: 'step-failed', step: 'b', attempts: 2, status: 200 } },
    { type: 'notify.failed', data: { webhook: 2, event: 'step-failed', step: 'b', attempts: 3, reason: 'HTTP 503', status: 503 } },
  ]);

  it('are recorded in order, and leave every step as it was', () => {
    const withNotes = replay(events);
    const without = replay(events.slice(0, 5));
    expect(withNotes.notifications).toEqual([
      { seq: 6, ts: events[5]?.ts, ok: true, webhook: 1, name: 'ops', event: 'step-failed', step: 'b', attempts: 2, status: 200 },
      { seq: 7, ts: events[6]?.ts, ok: false, webhook: 2, event: 'step-failed', step: 'b', attempts: 3, reason: 'HTTP 503', status: 503 },
    ]);
    expect(withNotes.steps).toEqual(without.steps);
    expect(withNotes.steps.get('b')?.state).toBe('failed');
  });

  it('a line missing what replay needs is rejected with its problem', () => {
    const base = { v: 1, seq: 1, ts: '2026-01-01T00:00:00.000Z', by: 'a@b', prev: null };
    expect(checkEventShape({ ...base, type: 'notify.sent', data: { webhook: 1, event: 'completed', attempts: 1, status: 204 } }, 1).ok).toBe(true);
    expect(checkEventShape({ ...base, type: 'notify.sent', data: { webhook: 1, event: 'completed', attempts: 1 } }, 1)).toEqual({
      ok: false,
      problem: 'a notify.sent event whose data has no valid `status`',
    });
    expect(checkEventShape({ ...base, type: 'notify.failed', data: { webhook: '#1', event: 'completed', reason: 'x' } }, 1)).toEqual({
      ok: false,
      problem: 'a notify.failed event whose data has no valid `webhook`',
    });
    expect(checkEventShape({ ...base, type: 'notify.failed', data: { webhook: 1, event: 'completed' } }, 1)).toEqual({
      ok: false,
      problem: 'a notify.failed event whose data has no valid `reason`',
    });
  });
});
