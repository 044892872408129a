/**
 * Is the holder of a lock (a lock file, an S3 lease) still running? Only a holder on this
 * machine can be judged, by its pid: `alive`, `gone`, or `unknown` (another host, or another
 * pid namespace on a host of the same name: a container with host networking, a CI job in a
 * container named like the last one).
 *
 * A pid can be reused after its process died, and a machine can reboot. On Linux a holder
 * also records its process's stamp: the kernel's boot id and the process's start time in
 * clock ticks since boot. Neither depends on the wall clock, so a clock that is stepped (NTP,
 * a restored VM) cannot make a live holder look gone: another boot id means the machine
 * rebooted since, another start time that the pid now belongs to another process.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export type Liveness = 'alive' | 'gone' | 'unknown';

/** What a lock says about its holder that liveness needs. */
export interface HolderProcess {
  host: string;
  pid: number;
  /** The holder's pid namespace (Linux), when it recorded one. */
  pidns?: string;
  /** `<boot id>:<start time in ticks>` of the holder's process (Linux), when it recorded one. */
  started?: string;
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

/** What a holder records about its own process: pid namespace and stamp, where the system tells them. */
export function ownProcess(pid: number): { pidns?: string; started?: string } {
  if (pid !== process.pid) return {};
  const pidns = currentPidNamespace();
  const started = processStamp(pid);
  return { ...(pidns ? { pidns } : {}), ...(started ? { started } : {}) };
}

export function holderLiveness(holder: HolderProcess, at: Here): Liveness {
  if (holder.host !== at.host) return 'unknown';
  if (holder.pidns !== undefined && at.pidns !== undefined && holder.pidns !== at.pidns) return 'unknown';
  if (holder.started !== undefined) {
    const boot = bootId();
    // Rebooted since the lock was taken: nothing of that boot runs any more.
    if (boot !== undefined && !holder.started.startsWith(`${boot}:`)) return 'gone';
  }
  if (!pidAlive(holder.pid)) return 'gone';
  if (holder.started !== undefined) {
    const now = processStamp(holder.pid);
    // The pid belongs to another process now (reused after the holder died).
    if (now !== undefined && now !== holder.started) return 'gone';
  }
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

/** Linux: `<boot id>:<start time in clock ticks since boot>` of a process; undefined when it cannot be told. */
export function processStamp(pid: number): string | undefined {
  const boot = bootId();
  if (boot === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks !== undefined && /^\d+$/.test(ticks) ? `${boot}:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}
