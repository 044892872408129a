/**
 * An in-process migration for engine tests: a runbook, a journal on a memory store that
 * survives "process deaths", the fake traffic port, a fake shell world, and a fake clock.
 * Each command (`run`, `rollback`, `approve`...) opens the journal afresh from the store,
 * as a new cutover process would, so a crash mid-command leaves exactly what was durable.
 *
 * Shell scripts understood by the fake world: `apply NAME` (sets a flag), `undo NAME`
 * (clears it), `fail` (exit 1); checks: `has NAME`, `lacks NAME`, `verify` (passes unless
 * the test asked the next verify to fail). References (${shard}) are read with their values.
 */
import { TrafficError } from '../../src/actions/traffic/types.js';
import type { ActionResult, CheckResult } from '../../src/actions/types.js';
import type { Actions, EngineContext, WebhookPort } from '../../src/engine/context.js';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import type { Operator } from '../../src/engine/operator.js';
import { isApproved } from '../../src/engine/next.js';
import type { NextOptions } from '../../src/engine/next.js';
import type { RollbackOutcome, RunOutcome } from '../../src/engine/outcome.js';
import { planRollback, rollbackRunbook } from '../../src/engine/rollback.js';
import type { RollbackOptions } from '../../src/engine/rollback.js';
import { runRunbook } from '../../src/engine/run.js';
import type { JournalEvent } from '../../src/journal/events.js';
import { replay } from '../../src/journal/replay.js';
import type { JournalState } from '../../src/journal/replay.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import { displayScript } from '../../src/runbook/shell-values.js';
import type { Action, Check, Runbook } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import { testEngineContext } from './engine-context.js';
import { DNS, FakeTraffic, RecordingStore } from './fake-traffic.js';

/** Thrown by the fake world to stand for cutover dying (SIGKILL, power loss): nothing after it runs. */
export class Crash extends Error {
  constructor() {
    super('cutover was killed');
  }
}

export function runbookFrom(steps: string, name = 'migration'): Runbook {
  const text = `cutover: 1
name: ${name}
defaults: { confirm: false, onFailure: stop }
steps:
${steps}`;
  const loaded = loadRunbookText(`${name}.yaml`, text, { env: {} });
  if (!loaded.ok) throw new Error(`test runbook invalid:\n${loaded.diagnostics.map((d) => d.message).join('\n')}`);
  return loaded.runbook;
}

export const dns = (id: string, onprem: number, aws: number, more = '') => `  - id: ${id}
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: ${onprem}, aws: ${aws} } }
    verify: verify
${more}`;

export const shell = (id: string, more = '') => `  - id: ${id}
    run: apply ${id}
    verify: has ${id}
    rollback: { run: undo ${id}, verify: lacks ${id} }
${more}`;

export class MigrationWorld {
  store = new RecordingStore();
  readonly clock = fakeClock();
  readonly traffic = new FakeTraffic();
  readonly flags = new Set<string>();
  /** Every shell action that ran, in order: `apply a`, `undo a`. */
  readonly ledger: string[] = [];
  /** The next verify / shell action fails; the next traffic apply / restore crashes cutover (before or after the change). */
  failNextVerify = false;
  failNextAction = false;
  crashNext?: { op: 'apply' | 'restore'; afterChange: boolean };
  /** The runbook's notify: webhooks go here (test/helpers/fake-webhooks.ts). */
  webhooks?: WebhookPort;
  /** `apply NAME` of these names fails (exit 1), every time. */
  readonly failApplyOf = new Set<string>();
  /** `apply NAME` of this name kills cutover, before or after it sets the flag. */
  crashApplyOf?: { name: string; afterChange: boolean };
  runbook: Runbook;

  constructor(runbook: Runbook, baseline: Record<string, number> = { onprem: 100, aws: 0 }) {
    this.runbook = runbook;
    this.traffic.store = this.store;
    this.traffic.live.set(DNS, { ...baseline });
    const traffic = this.traffic;
    const apply = traffic.apply.bind(traffic);
    const restore = traffic.restore.bind(traffic);
    traffic.apply = async (action, before) => {
      const crash = this.takeCrash('apply');
      if (crash && !crash.afterChange) throw new Crash();
      const after = await apply(action, before);
      if (crash) throw new Crash();
      return after;
    };
    traffic.restore = async (captured) => {
      const crash = this.takeCrash('restore');
      if (crash && !crash.afterChange) throw new Crash();
      const after = await restore(captured);
      if (crash) throw new Crash();
      return after;
    };
  }

  private takeCrash(op: 'apply' | 'restore') {
    const crash = this.crashNext?.op === op ? this.crashNext : undefined;
    if (crash) this.crashNext = undefined;
    return crash;
  }

  readonly actions: Actions = {
    runAction: async (action: Action): Promise<ActionResult> => {
      if (action.kind !== 'shell') throw new Error(`the fake world runs shell actions only, not ${action.kind}`);
      const [verb = '', name = ''] = displayScript(action).trim().split(/\s+/);
      if (verb === 'apply' && this.crashApplyOf?.name === name) {
        const { afterChange } = this.crashApplyOf;
        this.crashApplyOf = undefined;
        if (afterChange) this.flags.add(name);
        throw new Crash();
      }
      if (verb === 'fail' || (verb === 'apply' && (this.failNextAction || this.failApplyOf.has(name)))) {
        this.failNextAction = false;
        return { ok: false, reason: 'exit code 1', exitCode: 1, tail: [], durationMs: 1 };
      }
      this.ledger.push(`${verb} ${name}`);
      if (verb === 'apply') this.flags.add(name);
      else if (verb === 'undo') this.flags.delete(name);
      return { ok: true, tail: [], durationMs: 1 };
    },
    runCheck: async (check: Check): Promise<CheckResult> => {
      const single = Array.isArray(check) ? check[0] : check;
      const script = single && single.kind === 'shell' ? displayScript(single).trim() : 'verify';
      const [verb = '', name = ''] = script.split(/\s+/);
      let ok = verb === 'has' ? this.flags.has(name) : verb === 'lacks' ? !this.flags.has(name) : true;
      if (this.failNextVerify && verb !== 'lacks') {
        this.failNextVerify = false;
        ok = false;
      }
      return { ok, summary: ok ? 'passed' : `${script} failed`, details: [] };
    },
  };

  async context(options: { operator?: Operator; force?: boolean } = {}): Promise<EngineContext> {
    const { ctx } = await testEngineContext({
      runbook: this.runbook,
      store: this.store,
      clock: this.clock,
      actions: this.actions,
      logDir: '/nonexistent-cutover-test-logs',
      overrides: {
        traffic: this.traffic,
        force: options.force === true,
        ...(options.operator ? { operator: options.operator } : {}),
        ...(this.webhooks ? { webhooks: this.webhooks } : {}),
      },
    });
    return ctx;
  }

  /** The journal as the store holds it (what a new process would read). */
  events(): JournalEvent[] {
    return (this.store.text ?? '')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JournalEvent);
  }

  state(): JournalState {
    return replay(this.events());
  }

  async run(options: NextOptions = {}, operator?: Operator): Promise<RunOutcome | 'crashed'> {
    const ctx = await this.context({
      operator: operator ?? nonInteractiveOperator({ approved: (step) => isApproved(replay(ctx.journal.events), step, this.clock.now().getTime()) }),
    });
    try {
      return await runRunbook(ctx, { command: 'run', ...options, bake: 'exit' });
    } catch (error) {
      if (error instanceof Crash) return 'crashed';
      throw error;
    }
  }

  /** `cutover rollback` in CI: `failedSteps` decides the steps whose effect is unknown. */
  async rollback(
    options: RollbackOptions & { failedSteps?: 'rollback' | 'skip'; force?: boolean } = {},
  ): Promise<RollbackOutcome | 'crashed' | { state: 'refused'; reason: string }> {
    const ctx = await this.context({ force: options.force });
    const plan = planRollback(
      replay(ctx.journal.events),
      this.runbook.steps.map((s) => s.id),
      options,
    );
    if (!plan.ok) return { state: 'refused', reason: plan.reason };
    if (plan.steps.some((s) => s.uncertain) && !options.failedSteps) return { state: 'refused', reason: 'effect unknown: --failed-steps needed' };
    const steps = plan.steps.filter((s) => !s.uncertain || options.failedSteps === 'rollback');
    try {
      return await rollbackRunbook(ctx, steps);
    } catch (error) {
      if (error instanceof Crash) return 'crashed';
      throw error;
    }
  }

  /** The same command from another journal (another directory with --journal, another machine): same AWS, another history. */
  async elsewhere<T>(command: () => Promise<T>): Promise<T> {
    const main = this.store;
    this.store = new RecordingStore();
    this.traffic.store = this.store;
    try {
      return await command();
    } finally {
      this.store = main;
      this.traffic.store = main;
    }
  }

  async approve(stepId: string): Promise<void> {
    const ctx = await this.context();
    const step = this.runbook.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`no step ${stepId}`);
    await ctx.journal.append({ type: 'approval', step: stepId, data: { digest: step.digest } });
  }

  live(): Record<string, number> {
    return { ...(this.traffic.live.get(DNS) ?? {}) };
  }

  /** Someone changes the weights by hand in the console. */
  handChange(weights: Record<string, number>): void {
    this.traffic.live.set(DNS, { ...weights });
  }

  failReads(times = 1): void {
    for (let i = 0; i < times; i++) this.traffic.faults.push({ op: 'read', error: new TrafficError('reading app.example.com. A in ZAPP: throttled') });
  }
}
