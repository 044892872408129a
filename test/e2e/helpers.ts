/**
 * End-to-end helpers: run the built CLI (`node bin/cutover`) the way a user does, in a
 * temp dir of its own, and read back what it left: exit code, output, journal, ledger.
 *
 * `npm test` builds before vitest runs; when running vitest alone, build first:
 *   npm run build
 * (bin/cutover runs the bundle in dist/bin/, which only `npm run build` writes.)
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'cutover');
export const QUICKSTART = path.join(ROOT, 'examples', 'quickstart.yaml');

/**
 * The quickstart runbook copied into `dir`: its journal, logs and cache live next to the
 * runbook file, so a test must not run the repository's own copy.
 */
export function quickstartIn(dir: string): string {
  const copy = path.join(dir, 'quickstart.yaml');
  copyFileSync(QUICKSTART, copy);
  return copy;
}

/**
 * Fails fast, with the fix, when the bundle bin/cutover runs (dist/bin/) is missing or older
 * than a file in src/: an edit without `npm run build` would test the old code.
 */
export function requireBuild(): void {
  const problem = staleBuild(ROOT);
  if (problem) throw new Error(problem);
}

/** What is wrong with the build under `root` (missing, or older than a source file), if anything. */
export function staleBuild(root: string): string | undefined {
  const bundle = ['main.js', 'launch.cjs'].map((name) => path.join(root, 'dist', 'bin', name));
  if (!bundle.every((file) => existsSync(file))) return 'dist/bin/ is missing: build first with "npm run build" (npm test does it)';
  const built = Math.min(...bundle.map((file) => statSync(file).mtimeMs));
  const newer = newestSource(path.join(root, 'src'), built);
  return newer ? `dist/bin/ is older than ${path.relative(root, newer)}: rebuild with "npm run build" (npm test does it)` : undefined;
}

/** The first file under dir changed after `since`, if any. */
function newestSource(dir: string, since: number): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newestSource(full, since) : statSync(full).mtimeMs > since ? full : undefined;
    if (found) return found;
  }
  return undefined;
}

/** A fresh temp dir (symlinks resolved, so paths in output compare equal). */
export function tempDir(prefix = 'cutover-e2e-'): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A temp dir removed when the test ends. Takes the test's own context because the tests
 * run concurrently, and only the context knows which test is which.
 */
export function scratch(context: Pick<TestContext, 'onTestFinished'>): string {
  const dir = tempDir();
  context.onTestFinished(() => removeDir(dir));
  return dir;
}

/**
 * The environment the CLI runs with: no colours, no CI variables (a CI job's identity
 * would otherwise show up in `by`), and CI unset unless a test sets it.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['CI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CI_JOB_ID', 'FORCE_COLOR']) delete env[name];
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The test's own deadline passed and the process was killed. */
  timedOut: boolean;
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; the result says timedOut. */
  timeoutMs?: number;
}

/** Starts `node bin/cutover …` without waiting for it. */
export function startCli(args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  if (child.pid === undefined) throw new Error('could not start node');
  return { child, pid: child.pid, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `node bin/cutover …` to its end. */
export async function cli(args: string[], options: CliOptions): Promise<CliResult> {
  const result = await startCli(args, options).done;
  if (result.timedOut) throw new Error(`cutover ${args.join(' ')} did not finish in time\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  // No path of the CLI may show a stack trace to the user.
  if (/^\s+at .+:\d+:\d+\)?$/m.test(result.stdout + result.stderr)) throw new Error(`cutover ${args.join(' ')} printed a stack trace:\n${result.stderr}`);
  return result;
}

/** For failing assertions: everything the command said. */
export function describeResult(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

// ---------------------------------------------------------------------------------------
// Runbooks

export interface StepSpec {
  /** Defaults to step-<n> (1-based). */
  id?: string;
  title?: string;
  /** Default: `echo step-<n> >> ${dir}/ledger`. */
  run?: unknown;
  /** Default: `grep -qx step-<n> ${dir}/ledger`; null for none. */
  verify?: unknown;
  /** Default: appends undo-<n> and verifies it. */
  rollback?: unknown;
  [field: string]: unknown;
}

/**
 * Writes a runbook whose steps append to `<dir>/ledger`: step n appends `step-n`, its
 * verify greps for it, its rollback appends `undo-n`. The runbook is JSON, which is YAML.
 * `${dir}` in any script is the runbook var `dir` (the temp dir).
 */
export function writeLedgerRunbook(dir: string, steps: StepSpec[], options: { name?: string; file?: string; defaults?: Record<string, unknown> } = {}): string {
  const file = path.join(dir, options.file ?? 'runbook.yaml');
  const runbook = {
    cutover: 1,
    name: options.name ?? 'e2e',
    description: 'end-to-end test runbook',
    vars: { dir },
    defaults: { timeout: '1m', onFailure: 'stop', confirm: true, ...options.defaults },
    steps: steps.map((spec, index) => {
      const n = index + 1;
      const { id, title, run, verify, rollback, ...rest } = spec;
      const step: Record<string, unknown> = {
        id: id ?? `step-${n}`,
        title: title ?? `Step ${n}`,
        run: run ?? `echo step-${n} >> \${dir}/ledger`,
        ...rest,
      };
      if (verify !== null) step.verify = verify ?? `grep -qx step-${n} \${dir}/ledger`;
      step.rollback = rollback ?? { run: `echo undo-${n} >> \${dir}/ledger`, verify: `grep -qx undo-${n} \${dir}/ledger` };
      return step;
    }),
  };
  writeFileSync(file, `${JSON.stringify(runbook, null, 2)}\n`);
  return file;
}

/** Lines the steps appended, in order; [] when nothing was written. */
export function readLedger(dir: string): string[] {
  const file = path.join(dir, 'ledger');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

// ---------------------------------------------------------------------------------------
// Journal

export interface Event {
  v: number;
  seq: number;
  ts: string;
  type: string;
  step?: string;
  attempt?: number;
  by: string;
  data: Record<string, unknown>;
  prev: string | null;
}

export function journalPath(dir: string, name = 'e2e'): string {
  return path.join(dir, '.cutover', `${name}.journal.jsonl`);
}

/** Parses the JSONL journal and checks it is an intact chain (seq 1,2,3…, prev = sha256 of the line before). */
export function readJournal(file: string): Event[] {
  const text = readFileSync(file, 'utf8');
  if (!text.endsWith('\n')) throw new Error(`${file}: the last line is not terminated`);
  const lines = text.slice(0, -1).split('\n');
  let prev: string | null = null;
  return lines.map((line, index) => {
    const event = JSON.parse(line) as Event;
    if (event.seq !== index + 1) throw new Error(`${file}: line ${index + 1} has seq ${event.seq}`);
    if (event.prev !== prev) throw new Error(`${file}: line ${index + 1}: prev does not match the hash of line ${index}`);
    prev = createHash('sha256').update(line, 'utf8').digest('hex');
    return event;
  });
}

/** `type` or `type:step` for every event, for readable order assertions. */
export function timeline(events: Event[], filter: (event: Event) => boolean = () => true): string[] {
  return events.filter(filter).map((e) => (e.step ? `${e.type}:${e.step}` : e.type));
}

/** Step events only (no spawned/run bookkeeping), as `type:step`. */
export function stepTimeline(events: Event[]): string[] {
  return timeline(events, (e) => e.step !== undefined && e.type !== 'step.spawned');
}

// ---------------------------------------------------------------------------------------
// Waiting

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the condition holds; throws with the description after timeoutMs. */
export async function waitUntil(description: string | (() => string), condition: () => boolean, timeoutMs = 10_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${typeof description === 'string' ? description : description()}`);
    await sleep(pollMs);
  }
}

/** Is any process of this group alive and not a zombie? (Linux: /proc; elsewhere kill(0) alone.) */
export function groupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
