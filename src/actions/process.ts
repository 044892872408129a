/**
 * Runs one child process for shell/exec actions and checks: in its own process group (so the
 * whole tree can be stopped, and found again by a later resume), stdin closed, output masked
 * line by line to the live tail and the log, with timeout and abort handling.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ResultPromise } from 'execa';
import { formatDuration } from '../runbook/duration.js';
import { setLongTimeout } from '../support/clock.js';
import { LineSplitter, Tail } from './lines.js';
import { OutputLog } from './log.js';
import { killGroup, waitForGroupExit } from './process-group.js';
import { TAIL_LINES, type ActionResult, type ExecutionContext } from './types.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  /** Relative to the context's cwd. */
  cwd?: string;
  /** Merged over the context's env. */
  env: Record<string, string>;
  /** The command as the log header shows it (masked before use). */
  display: string;
  /** Names the program in "not found" reasons. */
  role: 'shell' | 'command';
}

export interface RunOptions {
  /**
   * After the main process exits, how long to keep reading output that a leftover
   * background process still holds open (a `daemon &` without redirection would otherwise
   * keep the step running for as long as the daemon lives).
   */
  drainMs?: number;
}

export const DEFAULT_KILL_GRACE_MS = 5_000;
export const DEFAULT_DRAIN_MS = 2_000;
/** After SIGKILL the kernel needs a moment; waiting longer would not change anything. */
const AFTER_KILL_WAIT_MS = 1_000;
/** Abort reasons that are forwarded as themselves; anything else sends SIGTERM. */
const FORWARDED = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

type Stop = { cause: 'timeout' | 'abort'; signal: NodeJS.Signals; at: number; killed: boolean };

export async function runProcess(spec: ProcessSpec, ctx: ExecutionContext, options: RunOptions = {}): Promise<ActionResult> {
  const started = performance.now();
  const tail = new Tail(TAIL_LINES);
  // Reasons name programs, paths and cwd, which may hold a secret: masked like output.
  let cutShort: string | undefined;
  const finish = (fields: { ok: true } | { ok: false; reason: string; exitCode?: number; timedOut?: boolean; aborted?: boolean }): ActionResult => ({
    ...(fields.ok ? fields : { ...fields, reason: ctx.masker.text(fields.reason) }),
    // A log cut short is said last too, so later output cannot push it out of the tail.
    tail:
      cutShort === undefined
        ? tail.lines()
        : [
            ...tail
              .lines()
              .filter((line) => line !== cutShort)
              .slice(1 - TAIL_LINES),
            cutShort,
          ],
    durationMs: Math.round(performance.now() - started),
  });

  if (ctx.signal.aborted) return finish({ ok: false, reason: 'aborted before it started', aborted: true });
  const cwd = resolve(ctx.cwd, spec.cwd ?? '.');
  const cwdProblem = directoryProblem(cwd);
  if (cwdProblem) return finish({ ok: false, reason: cwdProblem });

  // A log cut short (disk full) is said in the tail, which a failed step's journal entry
  // keeps, and on the terminal; the step's result does not change.
  const note = (text: string) => {
    const masked = ctx.masker.text(`cutover: ${text}`);
    cutShort = masked;
    tail.push(masked);
    try {
      ctx.onOutput?.(masked, 'stderr');
    } catch {
      // As for output lines, below.
    }
  };
  let log: OutputLog | undefined;
  if (ctx.logFile) {
    try {
      log = OutputLog.open(ctx.logFile, note);
    } catch (error) {
      return finish({ ok: false, reason: `cannot write the log file ${ctx.logFile}: ${(error as Error).message}` });
    }
  }
  log?.line(`--- ${ctx.clock.now().toISOString()} $ ${ctx.masker.text(spec.display)}`);

  const emit = (stream: 'stdout' | 'stderr') => (line: string) => {
    const masked = ctx.masker.text(line);
    tail.push(masked);
    log?.line(masked);
    try {
      ctx.onOutput?.(masked, stream);
    } catch {
      // A broken live tail must not take the running command down with it.
    }
  };
  const splitters = { stdout: new LineSplitter(emit('stdout')), stderr: new LineSplitter(emit('stderr')) };

  const { execa } = await import('execa'); // Lazily: the CLI's startup should not pay for it.
  const child = execa(spec.file, spec.args, {
    cwd,
    env: mergeEnv(ctx.env, spec.env),
    extendEnv: false, // ctx.env is the whole base environment.
    stdin: 'ignore', // Never hand the operator's terminal to a command.
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false, // We consume the streams ourselves; long outputs must not pile up in memory.
    reject: false,
    detached: true, // Own process group: stop the whole tree; resume finds it by pgid.
  });

  const pid = child.pid;
  if (pid === undefined) {
    // Spawning failed (no such program, not executable): execa resolves with the error.
    const result = await child;
    const reason = ctx.masker.text(spawnFailure(spec, result.code));
    log?.line(`--- ${reason}`);
    log?.close();
    return finish({ ok: false, reason });
  }

  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk: string) => splitters[stream].push(chunk));
  }

  const supervisor = supervise(child, pid, ctx, options);
  try {
    await ctx.onSpawn?.({ pid, pgid: pid });
  } catch (error) {
    // The pid could not be recorded (journal I/O): do not leave an untracked command running.
    supervisor.stop('abort', 'SIGTERM');
    await supervisor.done.finally(() => ctx.onExit?.());
    log?.close();
    throw error;
  }

  const { result, stop } = await supervisor.done.finally(() => ctx.onExit?.());
  splitters.stdout.end();
  splitters.stderr.end();

  const outcome = describeOutcome(result, stop, ctx.timeoutMs);
  log?.line(`--- ${ctx.clock.now().toISOString()} ${outcome.log} after ${formatDuration(Math.round(performance.now() - started))}`);
  log?.close();
  return finish(outcome.fields);
}

type ExecaOutcome = Awaited<ResultPromise>;

/** Owns the timers and signal listeners of one running child; `done` settles once the group is stopped. */
function supervise(child: ResultPromise, pgid: number, ctx: ExecutionContext, options: RunOptions) {
  const graceMs = ctx.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let stop: Stop | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;

  const sigkill = () => {
    if (stop) stop.killed = true;
    killGroup(pgid, 'SIGKILL');
  };
  const stopGroup = (cause: Stop['cause'], signal: NodeJS.Signals) => {
    if (stop) return; // The first cause is the one reported.
    stop = { cause, signal, at: performance.now(), killed: false };
    killGroup(pgid, signal);
    graceTimer = setTimeout(sigkill, graceMs);
  };
  const onAbort = () => stopGroup('abort', forwardedSignal(ctx.signal.reason));
  const onForceKill = () => {
    stopGroup('abort', 'SIGKILL');
    sigkill();
  };

  const timeoutTimer = ctx.timeoutMs === undefined ? undefined : setLongTimeout(() => stopGroup('timeout', 'SIGTERM'), ctx.timeoutMs);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  ctx.forceKill?.addEventListener('abort', onForceKill, { once: true });
  // Aborted while we were opening the log or loading execa: listeners never fire for that.
  if (ctx.forceKill?.aborted) onForceKill();
  else if (ctx.signal.aborted) onAbort();
  child.once('exit', () => {
    drainTimer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, options.drainMs ?? DEFAULT_DRAIN_MS);
  });

  const done = (async (): Promise<{ result: ExecaOutcome; stop: Stop | undefined }> => {
    const result = await child;
    timeoutTimer?.clear();
    clearTimeout(drainTimer);
    ctx.signal.removeEventListener('abort', onAbort);
    ctx.forceKill?.removeEventListener('abort', onForceKill);
    if (stop) {
      // The leader is gone; the rest of the tree gets what remains of the grace period.
      const remaining = Math.max(0, stop.at + graceMs - performance.now());
      if (!(await waitForGroupExit(pgid, remaining))) {
        sigkill();
        await waitForGroupExit(pgid, AFTER_KILL_WAIT_MS);
      }
    }
    clearTimeout(graceTimer);
    return { result, stop };
  })();

  return { done, stop: stopGroup };
}

function describeOutcome(result: ExecaOutcome, stop: Stop | undefined, timeoutMs: number | undefined) {
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
  if (stop) {
    const how = stop.killed && stop.signal !== 'SIGKILL' ? `sent ${stop.signal}, then SIGKILL` : `sent ${stop.signal}`;
    if (stop.cause === 'timeout') {
      const reason = `timed out after ${formatDuration(timeoutMs ?? 0)}`;
      return { log: `${reason} (${how})`, fields: { ok: false as const, reason, timedOut: true, exitCode } };
    }
    return { log: `aborted (${how})`, fields: { ok: false as const, reason: 'aborted', aborted: true, exitCode } };
  }
  if (exitCode === 0) return { log: 'exited with code 0', fields: { ok: true as const } };
  const reason = exitCode !== undefined ? exitReason(exitCode) : result.signal ? `killed by ${result.signal}` : `failed: ${result.shortMessage}`;
  return { log: reason, fields: { ok: false as const, reason, exitCode } };
}

function exitReason(code: number): string {
  // What sh reports when it cannot run the command named in the script.
  if (code === 127) return 'exited with code 127 (command not found)';
  if (code === 126) return 'exited with code 126 (command not executable)';
  return `exited with code ${code}`;
}

function spawnFailure(spec: ProcessSpec, code: string | undefined): string {
  if (code === 'ENOENT') return `${spec.role} not found: ${spec.file}`;
  if (code === 'EACCES') return `${spec.role} not executable (permission denied): ${spec.file}`;
  return `could not start ${spec.file}${code ? ` (${code})` : ''}`;
}

/** spawn() reports a missing cwd as a missing program (ENOENT); say what is really wrong. */
function directoryProblem(dir: string): string | undefined {
  try {
    if (statSync(dir).isDirectory()) return undefined;
    return `working directory is not a directory: ${dir}`;
  } catch {
    return `working directory does not exist: ${dir}`;
  }
}

function mergeEnv(base: Record<string, string | undefined>, own: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...base, ...own })) if (value !== undefined) env[name] = value;
  return env;
}

function forwardedSignal(reason: unknown): NodeJS.Signals {
  return typeof reason === 'string' && FORWARDED.has(reason) ? (reason as NodeJS.Signals) : 'SIGTERM';
}
