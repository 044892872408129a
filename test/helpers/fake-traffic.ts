/**
 * A fake `Traffic` port for in-process engine tests: one live weight map per target, every
 * call recorded, faults injectable (an AWS error, or a change that reached AWS before the
 * error). Not AWS: the drivers themselves are tested against the SDK in test/actions/.
 */
import type { Traffic } from '../../src/actions/traffic/index.js';
import { TrafficError } from '../../src/actions/traffic/types.js';
import type { TrafficSnapshot } from '../../src/actions/traffic/types.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import type { AppendOptions } from '../../src/journal/store.js';
import type { TrafficAction } from '../../src/runbook/types.js';

export const DNS = 'route53:ZAPP:app.example.com.:A';

// ---------------------------------------------------------------------------------------
// A journal store that remembers how each line was written (fsync'ed or not).

export class RecordingStore extends MemoryJournalStore {
  readonly writes: { type: string; step?: string; durable: boolean }[] = [];

  override async appendLine(line: string, options?: AppendOptions): Promise<void> {
    await super.appendLine(line);
    if (line === '') return;
    const event = JSON.parse(line) as { type: string; step?: string };
    this.writes.push({ type: event.type, step: event.step, durable: options?.sync !== false });
  }
}

// ---------------------------------------------------------------------------------------
// A fake Traffic port: one live weight map per target, every call recorded.

export type Call =
  | { op: 'read'; target: string }
  | { op: 'apply'; target: string; weights: Record<string, number>; journalTypes: string[]; durableCapture: boolean }
  | { op: 'reread'; target: string }
  | { op: 'restore'; target: string; weights: Record<string, number> };

export interface Fault {
  op: 'read' | 'apply' | 'restore';
  error: TrafficError;
  /** For apply and restore: the change reaches AWS before the error (a wait that timed out, a lost read-back). */
  afterChange?: boolean;
}

export const TG = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`;
export const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';

export class FakeTraffic implements Traffic {
  readonly calls: Call[] = [];
  readonly faults: Fault[] = [];
  /** Live weights per target. */
  readonly live = new Map<string, Record<string, number>>();
  /** Set by the test: lets apply() see the journal and the store at the moment it is called. */
  store?: RecordingStore;

  static targetOf(action: TrafficAction): string {
    return action.kind === 'route53' ? `route53:${action.zone}:${action.name}:${action.type}` : `elbv2:${action.target.kind}:${action.target.arn}`;
  }

  private snapshot(target: string): TrafficSnapshot {
    const weights = this.live.get(target);
    if (!weights) throw new TrafficError(`no such target ${target}`);
    const elbv2 = target.startsWith('elbv2:');
    const names = elbv2 ? Object.fromEntries(Object.keys(weights).map((arn) => [arn, arn.split('/').at(-2) ?? arn])) : undefined;
    // `state` stands for the full AWS state (record sets / action list) a restore puts back.
    const state = { full: { ...weights }, untouched: 'alias target, TTL, health check' };
    return {
      kind: elbv2 ? 'elbv2' : 'route53',
      target,
      label: elbv2 ? 'listener app/web' : 'app.example.com. A in ZAPP',
      weights: { ...weights },
      ...(names ? { names } : {}),
      state,
    };
  }

  private fault(op: Fault['op']): Fault | undefined {
    const index = this.faults.findIndex((f) => f.op === op);
    return index < 0 ? undefined : this.faults.splice(index, 1)[0];
  }

  async read(action: TrafficAction): Promise<TrafficSnapshot> {
    const target = FakeTraffic.targetOf(action);
    this.calls.push({ op: 'read', target });
    const fault = this.fault('read');
    if (fault) throw fault.error;
    return this.snapshot(target);
  }

  async desired(action: TrafficAction, before: TrafficSnapshot): Promise<Record<string, number>> {
    const byName = Object.fromEntries(Object.entries(before.names ?? {}).map(([arn, name]) => [name, arn]));
    const next = { ...before.weights };
    for (const [key, weight] of Object.entries(action.weights)) {
      const id = byName[key] ?? key;
      if (!(id in next)) throw new TrafficError(`${before.label} has no weighted entry "${key}" (it has: ${Object.keys(next).join(', ')})`);
      next[id] = weight;
    }
    return next;
  }

  async apply(action: TrafficAction, before: TrafficSnapshot): Promise<TrafficSnapshot> {
    const weights = await this.desired(action, before);
    const captured = this.store?.writes.filter((w) => w.type === 'step.captured').at(-1);
    this.calls.push({
      op: 'apply',
      target: before.target,
      weights,
      journalTypes: this.journalTypes(),
      durableCapture: captured?.durable === true,
    });
    const fault = this.fault('apply');
    if (fault?.afterChange) this.live.set(before.target, weights);
    if (fault) throw fault.error;
    this.live.set(before.target, weights);
    return this.snapshot(before.target);
  }

  async reread(snapshot: TrafficSnapshot): Promise<TrafficSnapshot> {
    this.calls.push({ op: 'reread', target: snapshot.target });
    return this.snapshot(snapshot.target);
  }

  async restore(captured: TrafficSnapshot): Promise<TrafficSnapshot> {
    this.calls.push({ op: 'restore', target: captured.target, weights: { ...captured.weights } });
    const fault = this.fault('restore');
    if (fault?.afterChange) this.live.set(captured.target, { ...captured.weights });
    if (fault) throw fault.error;
    this.live.set(captured.target, { ...captured.weights });
    return this.snapshot(captured.target);
  }

  /** Structural differences (a set added by hand...) the next comparisons report; weights-only by default. */
  structural: string[] = [];

  structuralChanges(): string[] {
    return [...this.structural];
  }

  /** What the store holds right now, as event types (the durable journal, not the in-memory list). */
  private journalTypes(): string[] {
    return (this.store?.text ?? '')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type: string; step?: string })
      .map((e) => (e.step ? `${e.type}:${e.step}` : e.type));
  }

  ops(op: Call['op']): Call[] {
    return this.calls.filter((c) => c.op === op);
  }
}
