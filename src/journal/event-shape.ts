/**
 * Is a parsed line a journal event this cutover understands? Checks the envelope and the
 * few data fields that replay relies on, so a hand-edited or foreign line is caught with
 * its line number instead of surfacing later as a wrong step state. The chain (`prev`)
 * is checked by chain.ts.
 */
import type { EventType, JournalEvent } from './events.js';
import { EVENT_TYPES, JOURNAL_FORMAT } from './events.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Events about one step: without `step` they mean nothing. */
const STEP_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'step.started',
  'step.spawned',
  'step.captured',
  'step.succeeded',
  'step.failed',
  'step.interrupted',
  'step.skipped',
  'rollback.started',
  'rollback.succeeded',
  'rollback.failed',
  'approval',
  'bake.watch',
  'rehearsal.step',
  'check.observed',
]);

type FieldKind = 'string' | 'integer' | 'object' | 'boolean';
type Fields = Record<string, FieldKind>;

const REQUIRED_DATA_FIELDS: Partial<Record<EventType, Fields>> = {
  'journal.created': { runbook: 'string' },
  'run.started': { command: 'string' },
  'step.started': { digest: 'string', definition: 'object' },
  'step.spawned': { pid: 'integer', pgid: 'integer', host: 'string' },
  'step.failed': { reason: 'string' },
  'step.interrupted': { reason: 'string' },
  'step.skipped': { reason: 'string' },
  'rollback.started': { digest: 'string' },
  'rollback.failed': { reason: 'string' },
  decision: { prompt: 'string', choice: 'string' },
  'lock.takeover': { lock: 'string', expiredAt: 'string' },
  approval: { digest: 'string' },
  'bake.watch': { ok: 'boolean' },
  'check.observed': { phase: 'string', ok: 'boolean' },
  'rehearsal.step': { digest: 'string', verdict: 'string', phases: 'object' },
  'notify.sent': { webhook: 'integer', event: 'string', status: 'integer' },
  'notify.failed': { webhook: 'integer', event: 'string', reason: 'string' },
};

/** As entry lists, built once: this runs for every line of journals with 100,000s of them. */
const REQUIRED_DATA = new Map<string, [string, FieldKind][]>(Object.entries(REQUIRED_DATA_FIELDS).map(([type, fields]) => [type, Object.entries(fields)]));

export type ShapeResult = { ok: true; event: JournalEvent } | { ok: false; problem: string };

/** `expectedSeq` is checked here because a wrong seq is the clearest sign of a deleted or moved line. */
export function checkEventShape(value: unknown, expectedSeq: number): ShapeResult {
  const fail = (problem: string): ShapeResult => ({ ok: false, problem });
  if (!isObject(value)) return fail('the line is not a JSON object');
  if (value.v !== JOURNAL_FORMAT) {
    return fail(
      `the journal format version is ${JSON.stringify(value.v)}, but this cutover reads version ${JOURNAL_FORMAT} (was it written by a newer cutover?)`,
    );
  }
  if (value.seq !== expectedSeq) {
    return fail(`expected seq ${expectedSeq} but found ${JSON.stringify(value.seq)} (a line was deleted, inserted or moved)`);
  }
  const type = value.type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return fail(`unknown event type ${JSON.stringify(type)}`);
  if (typeof value.ts !== 'string' || Number.isNaN(Date.parse(value.ts))) return fail('`ts` is not an ISO time');
  if (typeof value.by !== 'string') return fail('`by` is missing');
  if (value.step !== undefined && typeof value.step !== 'string') return fail('`step` is not a string');
  if (value.attempt !== undefined && !(Number.isInteger(value.attempt) && (value.attempt as number) >= 1)) {
    return fail('`attempt` is not a positive integer');
  }
  if (STEP_EVENTS.has(type as EventType) && typeof value.step !== 'string') return fail(`a ${type} event without \`step\``);
  if (value.prev !== null && typeof value.prev !== 'string') return fail('`prev` is neither a hash nor null');
  if (!isObject(value.data)) return fail('`data` is not an object');
  const missing = missingField(value.data, REQUIRED_DATA.get(type));
  if (missing) return fail(`a ${type} event whose data has no valid \`${missing}\``);
  return { ok: true, event: value as unknown as JournalEvent };
}

function missingField(data: Record<string, unknown>, fields: [string, FieldKind][] | undefined): string | undefined {
  if (!fields) return undefined;
  for (const [name, kind] of fields) {
    const item = data[name];
    const ok = kind === 'integer' ? Number.isInteger(item) : kind === 'object' ? isObject(item) : typeof item === kind;
    if (!ok) return name;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
