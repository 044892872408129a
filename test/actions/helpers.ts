/** Shared fixtures for the action tests: a context, a temp dir, a zombie-aware liveness probe. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from '../../src/actions/types.js';
import type { ShellAction } from '../../src/runbook/types.js';
import { fakeClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';

export function testContext(overrides: Partial<ExecutionContext> = {}): ExecutionContext {
  return {
    signal: new AbortController().signal,
    env: { PATH: process.env.PATH },
    cwd: process.cwd(),
    masker: createMasker([]),
    clock: fakeClock(),
    killGraceMs: 500,
    ...overrides,
  };
}

export function sh(script: string, extra: Partial<ShellAction> = {}): ShellAction {
  return { kind: 'shell', script, shell: 'sh', env: {}, ...extra };
}

/** Collects onOutput lines with their stream. */
export function recorder() {
  const lines: { line: string; stream: 'stdout' | 'stderr' }[] = [];
  return { lines, onOutput: (line: string, stream: 'stdout' | 'stderr') => lines.push({ line, stream }) };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'cutover-actions-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Alive and not a zombie: where PID 1 does not reap orphans, killed processes linger as zombies. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** The process group of a running pid, from /proc (Linux). */
export function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}
