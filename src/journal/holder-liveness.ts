/**
 * Is the holder of a lock (a lock file, an S3 lease) still running? Only a holder on this
 * machine can be judged, by its pid: `alive`, `gone`, or `unknown` (another host, or another
 * pid namespace on a host of the same name: a container with host networking, a CI job in a
 * container named like the last one).
 *
 * A pid can be reused after its process died. On Linux the process's start time settles it:
 * a process that started after the lock was taken cannot be the one that took it.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export type Liveness = 'alive' | 'gone' | 'unknown';

/** What a lock says about its holder that liveness needs. */
export interface HolderProcess {
  host: string;
  pid: number;
  /** ISO time the holder took the lock (after it started). */
  since: string;
  /** The holder's pid namespace (Linux), when it recorded one. */
  pidns?: string;
}

/** Where the judging process runs. */
export interface Here {
  host: string;
  pidns?: string;
}

/** The pid namespace of this process ("pid:[4026531836]"), undefined off Linux. */
export function currentPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** This machine, as locks record it. */
export function here(host: string): Here {
  const pidns = currentPidNamespace();
  return { host, ...(pidns ? { pidns } : {}) };
}

/** Slack for clocks: the holder's own clock wrote `since`; boot time is known to the second. */
const START_SLACK_MS = 60_000;

export function holderLiveness(holder: HolderProcess, at: Here): Liveness {
  if (holder.host !== at.host) return 'unknown';
  if (holder.pidns !== undefined && at.pidns !== undefined && holder.pidns !== at.pidns) return 'unknown';
  if (!pidAlive(holder.pid)) return 'gone';
  const started = processStartMs(holder.pid);
  const since = Date.parse(holder.since);
  // The pid was given to a process that started after the lock was taken: the holder is gone.
  if (started !== undefined && !Number.isNaN(since) && started > since + START_SLACK_MS) return 'gone';
  return 'alive';
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Linux: when the process started (epoch ms, to about 10 ms); undefined when it cannot be told. */
export function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (!Number.isFinite(ticks) || btime === undefined) return undefined;
    // USER_HZ is 100 on every Linux architecture Node runs on.
    return Number(btime) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}
