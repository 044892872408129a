/** The typed runbook that the loader produces: every value resolved, every duration in ms. */
import type { MetricCheck } from './metric-types.js';

export interface SourcePosition {
  line: number;
  col: number;
}

export interface ShellAction {
  kind: 'shell';
  /**
   * What the shell runs: the runbook's script with each reference replaced by a parameter
   * expansion of the environment variable that carries its value ("${CUTOVER_VAR_name}").
   * Values are never part of the script (see runbook/shell-values.ts).
   */
  script: string;
  shell: string;
  cwd?: string;
  env: Record<string, string>;
  /**
   * The carried values, by variable name (CUTOVER_VAR_x, CUTOVER_ENV_X), set in the shell's
   * environment after `env`. Absent when the script has no references, and in journals
   * written before cutover carried values (their scripts hold shell-quoted values).
   */
  values?: Record<string, string>;
}

export interface ExecAction {
  kind: 'exec';
  argv: string[];
  cwd?: string;
  env: Record<string, string>;
}

export interface ManualAction {
  kind: 'manual';
  instructions: string;
}

export interface WaitAction {
  kind: 'wait';
  durationMs: number;
}

export type RecordType = 'A' | 'AAAA' | 'CNAME';

export interface Route53Action {
  kind: 'route53';
  zone: string;
  name: string;
  type: RecordType;
  weights: Record<string, number>;
  wait: boolean;
  allowAllZero: boolean;
}

export interface Elbv2Action {
  kind: 'elbv2';
  target: { kind: 'listener'; arn: string } | { kind: 'rule'; arn: string };
  weights: Record<string, number>;
}

/** A check-only step (no `run:`): its precheck and verify are the whole step, a gate between phases. */
export interface GateAction {
  kind: 'gate';
}

export type Action = ShellAction | ExecAction | ManualAction | WaitAction | Route53Action | Elbv2Action | GateAction;
export type TrafficAction = Route53Action | Elbv2Action;

export interface CheckRetry {
  forMs: number;
  intervalMs: number;
}

export type SingleCheck =
  | (Omit<ShellAction, 'kind'> & { kind: 'shell'; retry?: CheckRetry })
  | (Omit<ExecAction, 'kind'> & { kind: 'exec'; retry?: CheckRetry })
  | {
      kind: 'http';
      url: string;
      method: string;
      headers: Record<string, string>;
      expectStatus: number[];
      bodyMatches?: string;
      samples: number;
      minSuccess: number;
      intervalMs: number;
      timeoutMs: number;
      retry?: CheckRetry;
    }
  | { kind: 'elbv2TargetHealth'; targetGroup: string; minHealthy: number; retry?: CheckRetry }
  | MetricCheck;

/** A check is one or more single checks; all must pass. */
export type Check = SingleCheck[];

export type Rollback =
  | { kind: 'action'; run: Action; verify?: Check }
  /** Route 53 / ELBv2: put back the weights captured before the change (every other field as it is live). */
  | { kind: 'derived'; verify?: Check }
  | { kind: 'none'; reason: string };

export type OnFailure = 'ask' | 'stop' | 'rollback-step' | 'rollback-all';

export interface Step {
  id: string;
  title: string;
  description?: string;
  precheck?: Check;
  action: Action;
  verify?: Check;
  rollback: Rollback;
  timeoutMs?: number;
  retry: { attempts: number; delayMs: number };
  confirm: boolean;
  /** `skippable: false` in the runbook: the operator cannot skip it. Absent otherwise (so older digests stay the same). */
  skippable?: false;
  bakeMs?: number;
  watch?: Check;
  onFailure: OnFailure;
  /** sha256 of the normalised resolved definition; see digest.ts. Empty when unknown (see `unresolved`). */
  digest: string;
  /** Loaded by a read-only command: the vars without a value this step uses, so its digest is unknown. */
  unresolved?: string[];
  /** Where the step (or its foreach template) starts in the file. */
  source: SourcePosition;
  /** For steps expanded from a foreach template (a step's or a group's): the item name and value (a mapping item's label, or its JSON). */
  foreach?: { name: string; value: string };
  /** For steps of a group: the group's id, the item's label, and the item's number (1-based) and count. Not in the digest: the id already says it. */
  group?: StepGroup;
}

export interface StepGroup {
  id: string;
  item: string;
  index: number;
  of: number;
}

/** What a `notify:` webhook can be told (runbook/notify.ts NOTIFY_EVENTS). */
export type NotifyEvent = 'run-started' | 'waiting-approval' | 'step-failed' | 'watch-failed' | 'rolled-back' | 'rollback-failed' | 'completed';

export interface Webhook {
  /** How the journal and status call it; absent: its position (#1, #2...). */
  name?: string;
  /** Interpolated; may hold a secret, so it is never journaled or printed. */
  url: string;
  format: 'slack' | 'json';
  events: NotifyEvent[];
  timeoutMs: number;
  /** Tries after the first, on a network error, 429 or 5xx. */
  retries: number;
}

export interface Runbook {
  file: string;
  name: string;
  description?: string;
  /**
   * Env var names (from `secrets:`), and what to mask: the values of those env vars and of
   * secret vars, each in every form it can take in output (see resolve.ts maskedForms).
   */
  secrets: { envNames: string[]; values: string[] };
  env: Record<string, string>;
  aws: { region?: string; profile?: string; endpointUrl?: string; changePollIntervalMs?: number; changeTimeoutMs?: number };
  /** The root `journal:` (a path or s3:// URL, interpolated); --journal overrides it. */
  journal?: string;
  policy: { requireRehearsal: boolean };
  /** The root `notify:` webhooks; absent when there are none. */
  notify?: Webhook[];
  steps: Step[];
}
