/** The interface every action and check implementation meets; the engine only sees this. */
import type { AwsClients } from '../aws/clients.js';
import type { Clock } from '../support/clock.js';
import type { Masker } from '../support/mask.js';
import type { CheckObservationData } from '../journal/events.js';

export interface ExecutionContext {
  /**
   * Aborting stops the child's whole process group: SIGTERM, or the abort reason when it is
   * 'SIGINT' / 'SIGHUP' / 'SIGQUIT' (so Ctrl-C reaches the command as Ctrl-C), then SIGKILL
   * after killGraceMs if anything of the group still runs.
   */
  signal: AbortSignal;
  /** Aborting this (the operator's second Ctrl-C) SIGKILLs the child's group at once. */
  forceKill?: AbortSignal;
  /** Between the stop signal and SIGKILL, after a timeout or an abort. Default 5s. */
  killGraceMs?: number;
  /** Base environment for child processes (process env plus the runbook's `env:`). */
  env: Record<string, string | undefined>;
  /** Working directory for relative `cwd:` and commands without one. */
  cwd: string;
  /** Full output (stdout and stderr, masked) is appended here when set. */
  logFile?: string;
  /** Each output line, masked, as it arrives (for a live tail). */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Progress for people while something waits (a check retried with retryFor): one line each time. */
  onProgress?: (message: string) => void;
  /** Called right after a child process starts, so its pid can be journaled. */
  onSpawn?: (child: { pid: number; pgid: number }) => void | Promise<void>;
  /** Called once a child announced by onSpawn has ended (its group stopped). */
  onExit?: () => void;
  timeoutMs?: number;
  masker: Masker;
  clock: Clock;
  /** For AWS checks (elbv2TargetHealth, cloudwatchAlarm, cloudwatchMetric); absent where no AWS is configured. */
  aws?: AwsClients;
}

export type ActionResult =
  | { ok: true; tail: string[]; durationMs: number }
  | {
      ok: false;
      reason: string;
      exitCode?: number;
      timedOut?: boolean;
      /** The signal aborted it (operator interrupt), as opposed to a failure. */
      aborted?: boolean;
      tail: string[];
      durationMs: number;
    };

export interface CheckResult {
  ok: boolean;
  /** One line: what passed or failed. */
  summary: string;
  /** Per single check / per sample details, masked. */
  details: string[];
  /** The signal stopped it (operator interrupt): not a verdict on the system. */
  aborted?: boolean;
  /** What metric checks saw (the value against its threshold), for the journal and the report. */
  observations?: CheckObservation[];
}

/** One value a metric check compared (masked like everything a check returns); journaled as is in check.observed. */
export type CheckObservation = CheckObservationData;

/** How many output lines results carry back (the full output is in the log file). */
export const TAIL_LINES = 20;
