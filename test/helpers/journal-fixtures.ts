/** Shared fixtures for the journal tests: a fake identity, a fake clock, a minimal step, event builders. */
import type { JournalEvent, NewEvent } from '../../src/journal/events.js';
import { hashLine, serializeEvent } from '../../src/journal/line.js';
import type { JournalOptions } from '../../src/journal/journal.js';
import type { Step } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import type { Identity } from '../../src/support/identity.js';
import { createMasker } from '../../src/support/mask.js';

export const alice: Identity = { user: 'alice', host: 'laptop', pid: 4242 };

export function journalOptions(overrides: Partial<JournalOptions> = {}): JournalOptions {
  return {
    runbook: { name: 'web', file: 'runbooks/web.yaml' },
    identity: alice,
    masker: createMasker([]),
    clock: fakeClock(),
    ...overrides,
  };
}

export function step(id: string, digest = `digest-${id}`): Step {
  return {
    id,
    title: `Step ${id}`,
    action: { kind: 'shell', script: `echo ${id}`, shell: 'sh', env: {} },
    rollback: { kind: 'none', reason: 'test' },
    retry: { attempts: 1, delayMs: 0 },
    confirm: false,
    onFailure: 'stop',
    digest,
    source: { line: 1, col: 1 },
  };
}

export const started = (id: string, digest?: string): NewEvent => ({
  type: 'step.started',
  step: id,
  data: { digest: digest ?? `digest-${id}`, definition: step(id, digest), host: 'laptop' },
});
export const succeeded = (id: string, durationMs = 1000): NewEvent => ({ type: 'step.succeeded', step: id, data: { durationMs } });
export const failed = (id: string, reason = 'exit 1'): NewEvent => ({ type: 'step.failed', step: id, data: { phase: 'action', reason } });

/**
 * Builds a valid chained journal without a store: events with seq, ts and prev, and the
 * text they serialise to. journal.created is prepended.
 */
export function buildJournal(body: readonly NewEvent[], runbook = 'web'): { events: JournalEvent[]; lines: string[]; text: string } {
  const all: NewEvent[] = [{ type: 'journal.created', data: { runbook, file: `${runbook}.yaml` } }, ...body];
  const events: JournalEvent[] = [];
  const lines: string[] = [];
  let prev: string | null = null;
  const start = Date.parse('2026-01-01T00:00:00Z');
  all.forEach((item, index) => {
    const event = { v: 1, seq: index + 1, ts: new Date(start + index * 1000).toISOString(), by: 'alice@laptop', prev, ...item } as JournalEvent;
    const line = serializeEvent(event);
    events.push(JSON.parse(line) as JournalEvent);
    lines.push(line);
    prev = hashLine(line);
  });
  return { events, lines, text: lines.map((line) => `${line}\n`).join('') };
}
