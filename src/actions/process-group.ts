/** Signalling and probing a child's process group (our children lead their own group: pgid = pid). */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The whole group is gone already: nothing to signal.
  }
}

/**
 * True while any member of the group still runs. Zombies do not count: where PID 1 does
 * not reap orphans (many containers), a killed grandchild lingers as a zombie and
 * `kill(-pgid, 0)` keeps succeeding although nothing runs any more.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return process.platform === 'linux' ? runningMemberOnLinux(pgid) : true;
}

/** Polls until the group is gone or timeoutMs passed (real time: these are real processes). */
export async function waitForGroupExit(pgid: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await delay(pollMs);
  }
  return true;
}

function runningMemberOnLinux(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // No /proc to look into: trust kill(2), which said the group exists.
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // Exited while we were scanning.
    }
    // The command name may hold spaces and parentheses; the fields after its last ')' are: state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
