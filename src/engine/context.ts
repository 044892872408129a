/** Everything the engine touches outside itself, injected so tests control it. */
import type { ActionResult, CheckResult, ExecutionContext } from '../actions/types.js';
import type { JournalEvent, NewEvent } from '../journal/events.js';
import { groupAlive, killGroup } from '../actions/process-group.js';
import type { Action, Check, Runbook } from '../runbook/types.js';
import type { Clock } from '../support/clock.js';
import type { Masker } from '../support/mask.js';
import type { Traffic } from '../actions/traffic/index.js';
import type { AwsClients } from '../aws/clients.js';
import type { Operator } from './operator.js';
import type { Reporter } from './reporter.js';
import type { WebhookPort } from '../actions/webhook-port.js';
export type { WebhookPort, WebhookResult } from '../actions/webhook-port.js';

export interface EngineJournal {
  /** Every event so far, including the ones this process appended. */
  readonly events: readonly JournalEvent[];
  /** Durable (fsync'ed) before it resolves, unless `durable: false` (see Journal.append). */
  append(event: NewEvent, options?: { durable?: boolean }): Promise<JournalEvent>;
}

export interface Actions {
  runAction(action: Action, context: ExecutionContext): Promise<ActionResult>;
  runCheck(check: Check, context: ExecutionContext): Promise<CheckResult>;
}

export interface ProcessTable {
  /** Is any process of this group still alive (on this host)? */
  groupAlive(pgid: number): boolean;
  killGroup(pgid: number, signal: NodeJS.Signals): void;
}

export interface EngineContext {
  runbook: Runbook;
  journal: EngineJournal;
  operator: Operator;
  reporter: Reporter;
  actions: Actions;
  clock: Clock;
  /** Aborted on Ctrl-C / SIGTERM: the running child is stopped and the step journaled as interrupted. */
  signal: AbortSignal;
  /** Aborted on a second Ctrl-C: the running child's group is killed at once. */
  forceKill?: AbortSignal;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Per-step output logs go here. */
  logDir: string;
  masker: Masker;
  host: string;
  processes: ProcessTable;
  /** A step's (or check's) child process started or ended: the CLI says "stopping the running step" on Ctrl-C only while one runs. */
  onChild?: (change: 'spawned' | 'exited') => void;
  /** Route 53 / ELBv2 changes; absent where no AWS is configured (traffic steps then fail clearly). */
  traffic?: Traffic;
  /** AWS clients for checks (elbv2TargetHealth). */
  aws?: AwsClients;
  /** Delivers the runbook's `notify:` webhooks (engine/notify.ts); absent: none are sent (rehearse). */
  webhooks?: WebhookPort;
  /** --force: apply (or roll back) despite drift; every use is journaled. */
  force?: boolean;
}

/** Zombie-aware (see actions/process-group.ts): a reaped-never child must not look alive forever. */
export const realProcessTable: ProcessTable = { groupAlive, killGroup };
