/**
 * Journals for the report tests, written the way cutover writes them: through openJournal on
 * a MemoryJournalStore, each session with its own identity (another operator, another
 * machine, a CI job) and a clock the script moves, so timestamps, `by`, seq and the hash
 * chain are all real.
 */
import type { JournalEvent, NewEvent, RehearsalPhases, RehearsalVerdict, TrafficSnapshotData } from '../../src/journal/events.js';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openJournal } from '../../src/journal/journal.js';
import type { Journal } from '../../src/journal/journal.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import type { Step } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import type { Identity } from '../../src/support/identity.js';
import { createMasker } from '../../src/support/mask.js';
import type { Masker } from '../../src/support/mask.js';

/**
 * Each test of the file runs in a fresh temp dir (the working directory, as for the CLI)
 * holding the runbook as web.yaml; returns the dir of the running test.
 */
export function inRunbookDir(prefix: string, runbook: string): () => string {
  let dir = '';
  let cwd = '';
  beforeEach(() => {
    cwd = process.cwd();
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
    writeFileSync(path.join(dir, 'web.yaml'), runbook);
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

export const ALICE: Identity = { user: 'alice', host: 'laptop', pid: 101 };
export const BOB: Identity = { user: 'bob', host: 'jump-host', pid: 202 };
export const CI_JOB: Identity = { user: 'runner', host: 'ci-7', pid: 303, ci: 'ci job 4711' };

export class JournalScript {
  readonly store: MemoryJournalStore;
  private readonly clock;
  private identity: Identity = ALICE;
  private journal: Journal | undefined;
  private readonly masker: Masker;

  constructor(
    readonly runbook = 'web',
    start = '2026-03-02T09:00:00Z',
    options: { secrets?: string[]; location?: string } = {},
  ) {
    this.store = new MemoryJournalStore(undefined, options.location ?? `memory:${runbook}`);
    this.clock = fakeClock(new Date(start));
    this.masker = createMasker(options.secrets ?? []);
  }

  /** The next events are written by this operator (a new session, as in real life). */
  as(identity: Identity): this {
    if (identity !== this.identity) this.journal = undefined;
    this.identity = identity;
    return this;
  }

  /** Moves the clock forward. */
  after(ms: number): this {
    this.clock.advance(ms);
    return this;
  }

  at(iso: string): this {
    const target = Date.parse(iso);
    const now = this.clock.now().getTime();
    if (target < now) throw new Error(`the clock cannot go back to ${iso}`);
    this.clock.advance(target - now);
    return this;
  }

  async append(...events: NewEvent[]): Promise<this> {
    for (const event of events) {
      this.journal ??= await openJournal(this.store, {
        runbook: { name: this.runbook, file: `${this.runbook}.yaml` },
        identity: this.identity,
        masker: this.masker,
        clock: this.clock,
      });
      await this.journal.append(event);
    }
    return this;
  }

  /** The events as a reader (report, status) sees them: read back and verified. */
  async events(): Promise<JournalEvent[]> {
    const reader = await openJournal(this.store, {
      runbook: { name: this.runbook, file: `${this.runbook}.yaml` },
      identity: this.identity,
      masker: createMasker([]),
      clock: this.clock,
    });
    return [...reader.events];
  }

  get text(): string {
    return this.store.text ?? '';
  }
}

// ---------------------------------------------------------------------------------------
// Step definitions and events

export function shellStep(id: string, extra: Partial<Step> = {}): Step {
  return {
    id,
    title: `Step ${id}`,
    action: { kind: 'shell', script: `./migrate.sh ${id}`, shell: 'sh', env: {} },
    verify: [{ kind: 'shell', script: `./check.sh ${id}`, shell: 'sh', env: {} }],
    rollback: { kind: 'action', run: { kind: 'shell', script: `./undo.sh ${id}`, shell: 'sh', env: {} } },
    retry: { attempts: 1, delayMs: 0 },
    confirm: true,
    onFailure: 'ask',
    digest: `sha256:${id}-v1`,
    source: { line: 1, col: 1 },
    ...extra,
  };
}

export function route53Step(id: string, weights: Record<string, number>, extra: Partial<Step> = {}): Step {
  return shellStep(id, {
    title: `Shift app.example.com to ${JSON.stringify(weights)}`,
    action: { kind: 'route53', zone: 'ZAPP', name: 'app.example.com.', type: 'A', weights, wait: true, allowAllZero: false },
    rollback: { kind: 'derived' },
    ...extra,
  });
}

export const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const ONPREM_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/onprem/73e2d6bc24d8a067';
export const AWS_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/aws/2453ed029918f21f';

export function elbv2Step(id: string, weights: Record<string, number>, extra: Partial<Step> = {}): Step {
  return shellStep(id, {
    title: `Shift the load balancer to ${JSON.stringify(weights)}`,
    action: { kind: 'elbv2', target: { kind: 'listener', arn: LISTENER }, weights },
    rollback: { kind: 'derived' },
    ...extra,
  });
}

export const runStarted = (command = 'run'): NewEvent => ({ type: 'run.started', data: { command, runbook: 'web', file: 'web.yaml', options: {} } });
export const runFinished = (outcome: string, command = 'run'): NewEvent => ({ type: 'run.finished', data: { command, outcome } });
export const stepStarted = (definition: Step, attempt = 1): NewEvent => ({
  type: 'step.started',
  step: definition.id,
  attempt,
  data: { digest: definition.digest, definition, host: 'laptop' },
});
export const stepSucceeded = (
  id: string,
  durationMs: number,
  attempt = 1,
  extra: Partial<{ recovered: boolean; markedDone: boolean; traffic: { target: string; label: string; weights: Record<string, number> } }> = {},
): NewEvent => ({
  type: 'step.succeeded',
  step: id,
  attempt,
  data: { durationMs, ...extra },
});
export const stepFailed = (
  id: string,
  reason: string,
  attempt = 1,
  tail: string[] = [],
  extra: { exitCode?: number; phase?: 'precheck' | 'action' | 'verify' | 'drift' } = {},
): NewEvent => ({
  type: 'step.failed',
  step: id,
  attempt,
  data: { phase: extra.phase ?? 'action', reason, tail, ...(extra.exitCode !== undefined ? { exitCode: extra.exitCode } : {}) },
});
export const decision = (step: string | undefined, prompt: string, choice: string, note?: string): NewEvent => ({
  type: 'decision',
  ...(step ? { step } : {}),
  data: { prompt, choice, ...(note ? { note } : {}) },
});
export const rollbackStarted = (id: string, reason = 'rollback requested', attempt = 1): NewEvent => ({
  type: 'rollback.started',
  step: id,
  attempt,
  data: { digest: `sha256:${id}-v1`, reason },
});
export const rollbackSucceeded = (
  id: string,
  durationMs: number,
  attempt = 1,
  traffic?: { target: string; label: string; weights: Record<string, number> },
): NewEvent => ({
  type: 'rollback.succeeded',
  step: id,
  attempt,
  data: traffic ? { durationMs, traffic } : { durationMs },
});

export const R53_TARGET = 'route53:ZAPP:app.example.com.:A';
export const R53_LABEL = 'app.example.com. A in ZAPP';
export const LB_TARGET = `elbv2:listener:${LISTENER}`;
export const LB_LABEL = 'listener app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';

export function captured(id: string, weights: Record<string, number>, attempt = 1): NewEvent {
  const data: TrafficSnapshotData = { kind: 'route53', target: R53_TARGET, label: R53_LABEL, weights, state: { sets: Object.keys(weights) } };
  return { type: 'step.captured', step: id, attempt, data };
}

export function capturedLb(id: string, weights: Record<string, number>, attempt = 1): NewEvent {
  const data: TrafficSnapshotData = {
    kind: 'elbv2',
    target: LB_TARGET,
    label: LB_LABEL,
    weights,
    names: { [ONPREM_TG]: 'onprem', [AWS_TG]: 'aws' },
    state: { actions: [] },
  };
  return { type: 'step.captured', step: id, attempt, data };
}

export const r53Left = (weights: Record<string, number>) => ({ target: R53_TARGET, label: R53_LABEL, weights });
export const lbLeft = (weights: Record<string, number>) => ({ target: LB_TARGET, label: LB_LABEL, weights });

export function rehearsed(id: string, digest: string, verdict: RehearsalVerdict, phases: RehearsalPhases = {}, reason?: string): NewEvent {
  return { type: 'rehearsal.step', step: id, data: { digest, verdict, phases, ...(reason ? { reason } : {}) } };
}

export const passedPhases: RehearsalPhases = {
  forward: { status: 'passed', durationMs: 1200 },
  verify: { status: 'passed', durationMs: 300 },
  rollback: { status: 'passed', durationMs: 900 },
  rollbackVerify: { status: 'passed', durationMs: 200 },
  reapply: { status: 'passed', durationMs: 1100 },
  reverify: { status: 'passed', durationMs: 250 },
};

/** The runbook of trafficMigration, in order (dns-100 never ran). */
export const TRAFFIC_STEPS = ['deploy-aws', 'approve-db', 'dns-10', 'lb-25', 'dns-50', 'dns-100'];

/**
 * A whole traffic migration, as several people ran it over two days: shell steps, Route 53
 * and ELBv2 shifts with bakes and watches, a failure retried, an approval, a drift forced,
 * an interrupted step recovered on resume, and a rollback of the last shift.
 */
export async function trafficMigration(options: { secrets?: string[]; steps?: Record<string, Step>; runbook?: string } = {}): Promise<JournalScript> {
  const def = (id: string, fallback: Step) => options.steps?.[id] ?? fallback;
  const deploy = def('deploy-aws', shellStep('deploy-aws', { title: 'Deploy the app to EKS' }));
  const approve = def(
    'approve-db',
    shellStep('approve-db', {
      title: 'DB on-call confirms replication lag < 1s',
      action: { kind: 'manual', instructions: 'Check the lag' },
      rollback: { kind: 'none', reason: 'an approval has nothing to undo' },
    }),
  );
  const dns10 = def('dns-10', route53Step('dns-10', { onprem: 90, aws: 10 }, { bakeMs: 30 * 60_000, watch: [] }));
  const lb25 = def('lb-25', elbv2Step('lb-25', { onprem: 75, aws: 25 }));
  const dns50 = def('dns-50', route53Step('dns-50', { onprem: 50, aws: 50 }, { bakeMs: 60 * 60_000 }));
  const j = new JournalScript(options.runbook ?? 'web', '2026-03-02T09:00:00Z', { secrets: options.secrets ?? [] });

  // Day 1, alice: deploy (fails once, retried), approval by bob, first shift.
  await j.as(ALICE).append(runStarted());
  await j.after(2_000).append(stepStarted(deploy));
  await j.after(95_000).append(
    stepFailed('deploy-aws', 'exited with code 1', 1, ['applying k8s/app.yaml', 'error: deployment "app" exceeded its progress deadline', 'password=***'], {
      exitCode: 1,
    }),
  );
  await j.after(40_000).append(decision('deploy-aws', 'step failed (action): what now?', 'retry'));
  await j.after(1_000).append(stepStarted(deploy, 2));
  await j.after(130_000).append(stepSucceeded('deploy-aws', 130_000, 2));
  await j.after(500).append(runFinished('waiting_approval'));
  await j
    .as(BOB)
    .at('2026-03-02T09:20:00Z')
    .append({ type: 'approval', step: 'approve-db', data: { digest: approve.digest, note: 'lag 0.2s for 10 minutes' } });
  await j.as(ALICE).at('2026-03-02T09:25:00Z').append(runStarted());
  await j.after(1_000).append(stepStarted(approve));
  await j.after(10).append(decision('approve-db', 'manual step done?', 'done'));
  await j.after(10).append(stepSucceeded('approve-db', 20));
  await j.after(1_000).append(stepStarted(dns10));
  await j.after(800).append(captured('dns-10', { onprem: 100, aws: 0 }));
  await j.after(45_000).append(stepSucceeded('dns-10', 46_000, 1, { traffic: r53Left({ onprem: 90, aws: 10 }) }));
  await j.after(10 * 60_000).append({ type: 'bake.watch', step: 'dns-10', attempt: 1, data: { ok: true, summary: 'healthz 20/20' } });
  await j.after(20 * 60_000).append({ type: 'bake.watch', step: 'dns-10', attempt: 1, data: { ok: true, summary: 'healthz 20/20' } });
  await j.after(1_000).append(stepStarted(lb25));
  await j.after(700).append(capturedLb('lb-25', { [ONPREM_TG]: 100, [AWS_TG]: 0 }));
  await j.after(3_000).append(stepSucceeded('lb-25', 3_700, 1, { traffic: lbLeft({ [ONPREM_TG]: 75, [AWS_TG]: 25 }) }));
  await j.after(500).append(runFinished('advanced'));

  // Day 2, the CI job: someone moved the weights by hand; forced; cutover killed mid-step.
  await j.as(CI_JOB).at('2026-03-03T08:00:00Z').append(runStarted());
  await j
    .after(1_000)
    .append(decision('dns-50', 'drift: app.example.com. A in ZAPP changed since step dns-10 (aws: journal says 10, live 20)', 'force', '--force'));
  await j.after(10).append(stepStarted(dns50));
  await j.after(600).append(captured('dns-50', { onprem: 80, aws: 20 }));
  await j.after(2_000).append({ type: 'step.spawned', step: 'dns-50', attempt: 1, data: { pid: 4242, pgid: 4242, host: 'ci-7', phase: 'verify' } });
  // (the job was cancelled here: no outcome)

  // bob resumes from the jump host: the weights are already applied, verify passes.
  await j.as(BOB).at('2026-03-03T08:40:00Z').append(runStarted('resume'));
  await j.after(500).append({
    type: 'step.interrupted',
    step: 'dns-50',
    attempt: 1,
    data: { reason: 'found unfinished on resume: cutover stopped while the step was running' },
  });
  await j.after(3_000).append(stepSucceeded('dns-50', 0, 1, { recovered: true, traffic: r53Left({ onprem: 50, aws: 50 }) }));
  await j.after(2 * 60_000).append({ type: 'bake.watch', step: 'dns-50', attempt: 1, data: { ok: false, summary: 'healthz 14/20 (70% < 95%)' } });
  await j.after(1_000).append(decision('dns-50', 'watch of dns-50 failed during its bake: what now?', 'rollback-step'));
  await j.after(100).append(rollbackStarted('dns-50', 'the watch failed during the bake'));
  await j.after(40_000).append(rollbackSucceeded('dns-50', 40_000, 1, r53Left({ onprem: 80, aws: 20 })));
  await j.after(500).append(runFinished('rolled_back', 'resume'));
  return j;
}
