/**
 * The lease of an S3 journal: the object `<key>.lock` next to it, the same idea as
 * Terraform's S3 lock file, but one that cannot stay stuck after a killed process.
 *
 * - Acquire: PutObject with `IfNoneMatch: '*'`; the body names the holder (user, host, pid,
 *   command, CI job URL) with `acquiredAt` and `expiresAt` (2 minutes on).
 * - Renew: a heartbeat every third of the lease rewrites the body with a later `expiresAt`,
 *   `IfMatch` the ETag of our last write. A 412 or 404 means the lease is no longer ours
 *   (taken over after it expired, or removed with `cutover unlock`): this process stops
 *   writing the journal.
 * - Release: DeleteObject `IfMatch` our ETag; a 412 means someone else holds it now, and
 *   their lease is left alone.
 * - Takeover: a lease whose `expiresAt` has passed (by this machine's clock), or whose
 *   holder ran on this machine and is gone (its pid is not alive: holder-liveness.ts), is
 *   replaced with PutObject `IfMatch` the ETag that was read, so of two takers exactly one
 *   wins; the session journals the takeover. A holder on another machine can only expire.
 *
 * A live holder's `expiresAt` is always at least two thirds of a lease ahead of its own
 * clock, so only a clock that is more than ~80 s ahead can see a live lease as expired;
 * even then the journal's own conditional writes refuse the second writer.
 */
import { randomUUID } from 'node:crypto';
import { clearInterval, setInterval } from 'node:timers';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Clock } from '../support/clock.js';
import type { Identity } from '../support/identity.js';
import type { LockHolder } from './errors.js';
import { JournalError, LockedError, describeHolder } from './errors.js';
import { here, holderLiveness, ownProcess } from './holder-liveness.js';
import type { Lease, Takeover } from './lease.js';
import { deleteObject, getObject, isConditionalConflict, isMissingObject, isPreconditionFailed, putObject, s3Failure, tryGetObject } from './s3-io.js';
import type { S3Location } from './s3-url.js';
import { formatS3Url, leaseKeyFor } from './s3-url.js';
import { parseJsonObject } from '../support/json-object.js';

export const DEFAULT_LEASE_MS = 2 * 60_000;

/** Runs `tick` every `ms` until the returned function is called. Injectable for tests. */
export type Schedule = (ms: number, tick: () => Promise<void>) => () => void;

export const intervalSchedule: Schedule = (ms, tick) => {
  const timer = setInterval(() => void tick(), ms);
  // The heartbeat alone must not keep a finished command alive.
  timer.unref();
  return () => clearInterval(timer);
};

export interface S3LeaseOptions {
  identity: Identity;
  /** The cutover subcommand taking the lease: "run", "approve", … */
  command: string;
  clock: Clock;
  /** Shown in LockedError messages; default "cutover unlock <runbook>". */
  unlockCommand?: string;
  /** Default 2 minutes. */
  leaseMs?: number;
  /** Default: a timer every leaseMs / 3. */
  schedule?: Schedule;
  /** The lease was lost while the command runs (taken over, removed): say so at once. */
  onLost?: (message: string) => void;
  /** Something the operator should know that changes nothing (a failed renewal that will be retried, a lease left to expire). */
  onWarning?: (message: string) => void;
}

/** What the lease object holds. */
export interface LeaseBody {
  holder: { user: string; host: string; pid: number; command: string; ciJobUrl?: string; pidns?: string; started?: string };
  acquiredAt: string;
  expiresAt: string;
  /** Tells two leases apart even with equal pids and hosts (containers). */
  id: string;
}

export interface S3LeaseStatus {
  url: string;
  /** Undefined when the object is not a lease cutover wrote. */
  holder: LockHolder | undefined;
  expiresAt: string | undefined;
  /** expiresAt has passed by the clock given to readS3Lease. */
  expired: boolean;
  /** Tells this command's own lease from another's. */
  id: string | undefined;
  etag: string;
  raw: string;
}

function leaseLocation(journal: S3Location): S3Location {
  return { bucket: journal.bucket, key: leaseKeyFor(journal.key) };
}

/** Who holds the lease of this journal, if anyone. Needs s3:GetObject on `<key>.lock` only. */
export async function readS3Lease(client: S3Client, journal: S3Location, now: Date): Promise<S3LeaseStatus | undefined> {
  const where = leaseLocation(journal);
  const url = formatS3Url(where);
  const object = await getObject(client, where).catch((error: unknown) => {
    throw s3Failure(error, 'read the lease', url);
  });
  if (!object) return undefined;
  const raw = object.body.toString('utf8');
  const body = parseLeaseBody(raw);
  const expiresAt = body?.expiresAt;
  return {
    url,
    holder: body ? holderOf(body) : undefined,
    expiresAt,
    expired: expiresAt !== undefined && Date.parse(expiresAt) <= now.getTime(),
    id: body?.id,
    etag: object.etag,
    raw,
  };
}

/**
 * For `cutover unlock`: removes the lease if it is still the one that was read (`etag`).
 * 'changed': someone renewed or took it meanwhile, nothing was removed.
 */
export async function breakS3Lease(client: S3Client, journal: S3Location, etag: string): Promise<'removed' | 'changed' | 'gone'> {
  const where = leaseLocation(journal);
  try {
    await deleteObject(client, where, etag);
    return 'removed';
  } catch (error) {
    if (isPreconditionFailed(error)) return 'changed';
    if (isMissingObject(error)) return 'gone';
    throw s3Failure(error, 'remove the lease', formatS3Url(where));
  }
}

/** Throws LockedError when a live lease is held by someone else, JournalError when S3 refuses. */
export async function acquireS3Lease(client: S3Client, journal: S3Location, options: S3LeaseOptions): Promise<Lease> {
  const where = leaseLocation(journal);
  const url = formatS3Url(where);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const { identity, clock } = options;
  const id = randomUUID();
  const own = ownProcess(identity.pid);
  const bodyAt = (acquiredAt: Date, expiresAt: Date): LeaseBody => ({
    holder: {
      user: identity.user,
      host: identity.host,
      pid: identity.pid,
      command: options.command,
      ...(identity.ci ? { ciJobUrl: identity.ci } : {}),
      ...own,
    },
    acquiredAt: acquiredAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    id,
  });

  // Set once we tried to take over: if that write landed without our learning it, the next round finds our id.
  let attemptedTakeover: Takeover | undefined;
  // A few rounds, because a holder may release (or a third process take over) between our write and our read.
  for (let round = 0; round < 5; round += 1) {
    const now = clock.now();
    const body = bodyAt(now, new Date(now.getTime() + leaseMs));
    const bytes = encode(body);
    let failure: unknown;
    try {
      const etag = await putObject(client, where, bytes, { ifNoneMatch: '*' }, 'application/json');
      return heldLease(client, journal, where, body, etag, leaseMs, options);
    } catch (error) {
      failure = error;
    }
    // Exists (412), a concurrent create (409), or an unknown outcome: look at what is there.
    const seen = await tryGetObject(client, where);
    if (!seen.ok) throw s3Failure(isPreconditionFailed(failure) || isConditionalConflict(failure) ? seen.error : failure, 'take the lease', url);
    const current = seen.object;
    if (current && current.body.equals(bytes)) return heldLease(client, journal, where, body, current.etag, leaseMs, options); // our create landed; a retry of it saw 412
    if (!current) {
      if (isPreconditionFailed(failure) || isConditionalConflict(failure)) continue; // released meanwhile
      throw s3Failure(failure, 'take the lease', url);
    }
    const raw = current.body.toString('utf8');
    const previous = parseLeaseBody(raw);
    if (!previous) throw new LockedError(undefined, true, url, options.unlockCommand);
    if (previous.id === id) return heldLease(client, journal, where, previous, current.etag, leaseMs, options, attemptedTakeover); // an earlier round's write landed
    const expired = Date.parse(previous.expiresAt) <= clock.now().getTime();
    // A holder on this machine whose process is gone will never renew: no need to wait out its lease.
    const gone = !expired && holderLiveness(holderOf(previous), here(identity.host)) === 'gone';
    if (!expired && !gone) {
      throw new LockedError(holderOf(previous), false, url, options.unlockCommand, previous.expiresAt);
    }
    // Expired (or its holder gone): take it over, on the condition that it is still the lease we read.
    const takeover: Takeover = { lock: url, previous: holderOf(previous), expiredAt: previous.expiresAt, why: gone ? 'holder-gone' : 'expired' };
    attemptedTakeover = takeover;
    const takenAt = clock.now();
    const next = bodyAt(takenAt, new Date(takenAt.getTime() + leaseMs));
    const nextBytes = encode(next);
    try {
      const etag = await putObject(client, where, nextBytes, { ifMatch: current.etag }, 'application/json');
      return heldLease(client, journal, where, next, etag, leaseMs, options, takeover);
    } catch (error) {
      const after = await tryGetObject(client, where);
      if (after.ok && after.object?.body.equals(nextBytes)) return heldLease(client, journal, where, next, after.object.etag, leaseMs, options, takeover);
      // Another taker won (412), the holder came back and renewed (412), or it was removed (404): look again.
      if (isPreconditionFailed(error) || isMissingObject(error) || isConditionalConflict(error)) continue;
      throw s3Failure(error, 'take over the expired lease', url);
    }
  }
  throw new LockedError(undefined, false, url, options.unlockCommand);
}

function heldLease(
  client: S3Client,
  journal: S3Location,
  where: S3Location,
  first: LeaseBody,
  firstEtag: string,
  leaseMs: number,
  options: S3LeaseOptions,
  takeover?: Takeover,
): Lease {
  const url = formatS3Url(where);
  const { clock } = options;
  let body = first;
  let etag = firstEtag;
  let lost: string | undefined;
  let released = false;
  let renewing: Promise<void> | undefined;
  let warnedAt: string | undefined;

  const loseIt = (reason: string) => {
    if (lost) return;
    lost = reason;
    stop();
    options.onLost?.(`${reason}; this command writes nothing more to the journal`);
  };

  const renewOnce = async (): Promise<void> => {
    // Twice at most: the second time after learning the ETag of a renewal of ours whose answer was lost.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (lost || released) return;
      const now = clock.now();
      const next: LeaseBody = { ...body, expiresAt: new Date(now.getTime() + leaseMs).toISOString() };
      const bytes = encode(next);
      let failure: unknown;
      try {
        etag = await putObject(client, where, bytes, { ifMatch: etag }, 'application/json');
        body = next;
        warnedAt = undefined;
        return;
      } catch (error) {
        failure = error;
      }
      const seen = await tryGetObject(client, where);
      if (seen.ok && seen.object?.body.equals(bytes)) {
        // Our renewal landed and an SDK retry of it saw 412.
        etag = seen.object.etag;
        body = next;
        return;
      }
      if (seen.ok && (isPreconditionFailed(failure) || isMissingObject(failure))) {
        const current = seen.object ? parseLeaseBody(seen.object.body.toString('utf8')) : undefined;
        if (current && seen.object && current.id === body.id) {
          // Still ours: an earlier renewal landed without us learning its ETag.
          etag = seen.object.etag;
          body = current;
          continue;
        }
        loseIt(await whyLost(client, journal, url, body, current, clock.now()));
        return;
      }
      // S3 unreachable: the next heartbeat tries again, until the lease runs out.
      if (warnedAt !== body.expiresAt) {
        warnedAt = body.expiresAt;
        options.onWarning?.(`${s3Failure(failure, 'renew the lease', url).problem}; retrying (the lease runs out at ${body.expiresAt})`);
      }
      return;
    }
  };

  const renew = (): Promise<void> => {
    // One renewal at a time: a slow PutObject must not race the next heartbeat with a stale ETag.
    renewing ??= renewOnce().finally(() => {
      renewing = undefined;
    });
    return renewing;
  };

  const stop = (options.schedule ?? intervalSchedule)(Math.max(1, Math.floor(leaseMs / 3)), renew);

  return {
    location: url,
    holder: holderOf(first),
    id: first.id,
    takeover,
    assertHeld() {
      if (lost) throw new JournalError('conflict', lost, 'run the command again; it reads the journal afresh and takes the lease when it is free');
      if (released) throw new JournalError('conflict', `the lease ${url} was released`, 'this is a bug in cutover; please report it');
      if (Date.parse(body.expiresAt) <= clock.now().getTime()) {
        throw new JournalError(
          'conflict',
          `the lease ${url} ran out at ${body.expiresAt} because it could not be renewed (S3 unreachable?), so another command may have taken it over`,
          'check the network and the credentials, then run the command again',
        );
      }
    },
    renew,
    async release() {
      if (released) return;
      stop();
      await renewing?.catch(() => undefined);
      released = true;
      if (lost) return;
      try {
        await deleteObject(client, where, etag);
      } catch (error) {
        // 412: someone took over since our last renewal; 404: removed already. Either way not ours to delete.
        if (isPreconditionFailed(error) || isMissingObject(error)) return;
        options.onWarning?.(`${s3Failure(error, 'release the lease', url).problem}; it is left to expire at ${body.expiresAt}`);
      }
    },
    releaseSync() {
      // No network call can be made synchronously: stop renewing, and the lease expires by itself.
      stop();
    },
  };
}

function encode(body: LeaseBody): Buffer {
  return Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
}

export function parseLeaseBody(raw: string): LeaseBody | undefined {
  const value = parseJsonObject(raw);
  if (!value) return undefined;
  const { holder, acquiredAt, expiresAt, id } = value;
  if (typeof acquiredAt !== 'string' || typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) return undefined;
  if (typeof holder !== 'object' || holder === null) return undefined;
  const { user, host, pid, command, ciJobUrl, pidns, started } = holder as Record<string, unknown>;
  if (typeof user !== 'string' || typeof host !== 'string' || typeof command !== 'string' || typeof pid !== 'number' || !Number.isInteger(pid))
    return undefined;
  return {
    holder: {
      user,
      host,
      pid,
      command,
      ...(typeof ciJobUrl === 'string' ? { ciJobUrl } : {}),
      ...(typeof pidns === 'string' ? { pidns } : {}),
      ...(typeof started === 'string' ? { started } : {}),
    },
    acquiredAt,
    expiresAt,
    id: typeof id === 'string' ? id : '',
  };
}

function holderOf(body: LeaseBody): LockHolder {
  const { user, host, pid, command, ciJobUrl, pidns, started } = body.holder;
  return {
    user,
    host,
    pid,
    command,
    since: body.acquiredAt,
    ...(ciJobUrl ? { ci: ciJobUrl } : {}),
    ...(pidns ? { pidns } : {}),
    ...(started ? { started } : {}),
  };
}

/**
 * Why a lease this command held is no longer its own, as exactly as can be told: the
 * journal's `lock.takeover` naming this holder (written by whoever took it over) is the
 * proof of a takeover; otherwise the lease object (someone else's now, or gone) and whether
 * ours had run out by this machine's clock.
 */
async function whyLost(client: S3Client, journal: S3Location, url: string, ours: LeaseBody, current: LeaseBody | undefined, now: Date): Promise<string> {
  const object = await getObject(client, journal).catch(() => undefined);
  const takeover = object ? findTakeoverOf(object.body.toString('utf8'), holderOf(ours)) : undefined;
  if (takeover) return describeTakeoverOf(url, takeover);
  const ranOut = Date.parse(ours.expiresAt) <= now.getTime();
  if (current) {
    const who = describeHolder(holderOf(current));
    return ranOut
      ? `the lease ${url} was taken over by ${who} after it expired at ${ours.expiresAt} (it was not renewed in time: S3 unreachable, or this process was paused)`
      : `the lease ${url} was removed (cutover unlock?) while this command held it, and is now held by ${who}`;
  }
  return ranOut
    ? `the lease ${url} expired at ${ours.expiresAt} (it was not renewed in time: S3 unreachable, or this process was paused) and is gone: another command may have taken it over and finished since`
    : `the lease ${url} was removed (cutover unlock?) while this command held it`;
}

/** A `lock.takeover` event of a journal, as far as messages need it. */
export interface TakeoverRecord {
  seq: number;
  ts: string;
  by: string;
  expiredAt: string;
  why?: string;
}

/**
 * The newest `lock.takeover` in a journal's text whose previous holder is `holder` (same
 * host, pid and since): the proof that this holder's lease was taken over, and by whom.
 */
export function findTakeoverOf(text: string, holder: LockHolder): TakeoverRecord | undefined {
  const lines = text.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = lines[index] ?? '';
    if (!line.includes('"lock.takeover"')) continue;
    const value = parseJsonObject(line);
    if (!value || value.type !== 'lock.takeover' || typeof value.data !== 'object' || value.data === null) continue;
    const data = value.data as Record<string, unknown>;
    const previous = data.previousHolder as Record<string, unknown> | undefined;
    if (!previous || previous.host !== holder.host || previous.pid !== holder.pid || previous.since !== holder.since) continue;
    return {
      seq: typeof value.seq === 'number' ? value.seq : 0,
      ts: String(value.ts),
      by: String(value.by),
      expiredAt: String(data.expiredAt),
      ...(typeof data.why === 'string' ? { why: data.why } : {}),
    };
  }
  return undefined;
}

/** "the lease … was taken over by bob@ci at T because it expired at E (…)". */
export function describeTakeoverOf(url: string, takeover: TakeoverRecord): string {
  const because =
    takeover.why === 'holder-gone'
      ? 'because its process on this machine looked gone'
      : `because it expired at ${takeover.expiredAt} (it was not renewed in time: S3 unreachable, or this process was paused)`;
  return `the lease ${url} was taken over by ${takeover.by} at ${takeover.ts} ${because}`;
}
