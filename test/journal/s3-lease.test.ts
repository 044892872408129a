/**
 * The S3 lease (`<key>.lock`) against aws-sdk-client-mock: acquire, renew, expire, takeover
 * (and its race), release, and release after a takeover. Time and the heartbeat timer are
 * injected: `tick()` runs the heartbeat the way the interval would.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { JournalError, LockedError } from '../../src/journal/errors.js';
import type { Lease } from '../../src/journal/lease.js';
import type { S3LeaseOptions, Schedule } from '../../src/journal/s3-lease.js';
import { DEFAULT_LEASE_MS, acquireS3Lease, breakS3Lease, readS3Lease } from '../../src/journal/s3-lease.js';
import { fakeClock } from '../../src/support/clock.js';
import type { Identity } from '../../src/support/identity.js';
import { spawnSync } from 'node:child_process';
import { barrier, deletes, installS3, networkError, puts, s3Mock, sdkError } from './s3-mock.js';
import { rejectionOf } from '../helpers/rejection.js';
import { buildJournal } from '../helpers/journal-fixtures.js';
import type { NewEvent } from '../../src/journal/events.js';

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

afterAll(() => s3Mock.restore());

const journal = { bucket: 'journals', key: 'cutover/web.journal.jsonl' };
const lockKey = 'cutover/web.journal.jsonl.lock';
const alice: Identity = { user: 'alice', host: 'laptop', pid: 4242 };
const bob: Identity = { user: 'bob', host: 'ci-runner', pid: 77, ci: 'https://gitlab.example.com/ops/migrate/-/jobs/991' };
const carol: Identity = { user: 'carol', host: 'desk', pid: 31 };

/** A heartbeat the test drives: every scheduled tick is kept, and tick() runs them. */
function manualSchedule(): { schedule: Schedule; intervals: number[]; tick: () => Promise<void>; stopped: () => boolean } {
  const ticks: (() => Promise<void>)[] = [];
  const intervals: number[] = [];
  let stopped = false;
  return {
    schedule: (ms, tick) => {
      intervals.push(ms);
      ticks.push(tick);
      return () => {
        stopped = true;
      };
    },
    intervals,
    tick: async () => {
      for (const tick of ticks) await tick();
    },
    stopped: () => stopped,
  };
}

function setup(hooks?: Parameters<typeof installS3>[0]) {
  const s3 = installS3(hooks);
  const clock = fakeClock(new Date('2026-05-01T09:00:00Z'));
  const lost: string[] = [];
  const warnings: string[] = [];
  const options = (identity: Identity, extra: Partial<S3LeaseOptions> = {}): S3LeaseOptions => ({
    identity,
    command: 'run',
    clock,
    unlockCommand: 'cutover unlock runbooks/web.yaml',
    schedule: manualSchedule().schedule,
    onLost: (message) => lost.push(`${identity.user}: ${message}`),
    onWarning: (message) => warnings.push(`${identity.user}: ${message}`),
    ...extra,
  });
  const lockBody = () => {
    const object = s3.model.object('journals', lockKey);
    return object ? (JSON.parse(object.body.toString('utf8')) as Record<string, unknown>) : undefined;
  };
  return { ...s3, clock, lost, warnings, options, lockBody };
}

const refusal = (promise: Promise<unknown>) => rejectionOf(promise, LockedError);

describe('the S3 lease', () => {
  it('is acquired by creating <key>.lock with IfNoneMatch: *, naming the holder, for 2 minutes', async () => {
    const { options, lockBody, client } = setup();
    const lease = await acquireS3Lease(client, journal, options(bob));
    expect(puts()).toEqual([expect.objectContaining({ Bucket: 'journals', Key: lockKey, IfNoneMatch: '*' })]);
    expect(lockBody()).toEqual({
      holder: { user: 'bob', host: 'ci-runner', pid: 77, command: 'run', ciJobUrl: 'https://gitlab.example.com/ops/migrate/-/jobs/991' },
      acquiredAt: '2026-05-01T09:00:00.000Z',
      expiresAt: '2026-05-01T09:02:00.000Z',
      id: expect.any(String),
    });
    expect(lease.location).toBe(`s3://journals/${lockKey}`);
    expect(lease.holder).toEqual({
      user: 'bob',
      host: 'ci-runner',
      pid: 77,
      command: 'run',
      since: '2026-05-01T09:00:00.000Z',
      ci: 'https://gitlab.example.com/ops/migrate/-/jobs/991',
    });
    expect(lease.takeover).toBeUndefined();
    expect(() => lease.assertHeld()).not.toThrow();
    await lease.release();
  });

  it('refuses a second holder while the lease is live, naming the first, and writes nothing', async () => {
    const { options, clock, client } = setup();
    const first = await acquireS3Lease(client, journal, options(alice));
    clock.advance(60_000);
    const error = await refusal(acquireS3Lease(client, journal, options(bob)));
    expect(error.holder).toMatchObject({ user: 'alice', host: 'laptop', pid: 4242 });
    expect(error.message).toBe(
      'the journal is locked by alice@laptop (pid 4242, cutover run since 2026-05-01T09:00:00.000Z); its lease is renewed while that command runs and otherwise expires at 2026-05-01T09:02:00.000Z: wait for it to finish (if it was killed, the next command takes the lease over once it has expired, or run `cutover unlock runbooks/web.yaml`)',
    );
    expect(puts().filter((put) => put.IfMatch !== undefined)).toEqual([]);
    await first.release();
  });

  it('is renewed by a heartbeat every third of the lease, IfMatch the ETag of its last write', async () => {
    const { options, clock, model, lockBody, client } = setup();
    const heartbeat = manualSchedule();
    const lease = await acquireS3Lease(client, journal, options(alice, { schedule: heartbeat.schedule }));
    expect(heartbeat.intervals).toEqual([DEFAULT_LEASE_MS / 3]);
    for (let beat = 1; beat <= 3; beat += 1) {
      const etag = model.object('journals', lockKey)?.etag;
      clock.advance(40_000);
      await heartbeat.tick();
      expect(puts().at(-1)).toMatchObject({ Key: lockKey, IfMatch: etag });
    }
    // Two minutes after it was taken, the lease still runs: renewed at 09:02:00 until 09:04:00.
    expect(lockBody()).toMatchObject({ acquiredAt: '2026-05-01T09:00:00.000Z', expiresAt: '2026-05-01T09:04:00.000Z' });
    expect(() => lease.assertHeld()).not.toThrow();
    await lease.release();
    expect(heartbeat.stopped()).toBe(true);
  });

  it('expires when nobody renews it: the holder may no longer write, and the next command takes it over', async () => {
    const { options, clock, lost, lockBody, model, client } = setup();
    const aliceBeat = manualSchedule();
    const alices = await acquireS3Lease(client, journal, options(alice, { schedule: aliceBeat.schedule }));
    const expired = model.object('journals', lockKey)?.etag;
    clock.advance(DEFAULT_LEASE_MS + 1); // alice's laptop slept: no heartbeat ran
    expect(() => alices.assertHeld()).toThrow(JournalError);
    expect(() => alices.assertHeld()).toThrow(/ran out at 2026-05-01T09:02:00.000Z because it could not be renewed/);

    const bobs = await acquireS3Lease(client, journal, options(bob));
    expect(puts().at(-1)).toMatchObject({ Key: lockKey, IfMatch: expired });
    expect(bobs.takeover).toEqual({
      lock: `s3://journals/${lockKey}`,
      previous: { user: 'alice', host: 'laptop', pid: 4242, command: 'run', since: '2026-05-01T09:00:00.000Z' },
      expiredAt: '2026-05-01T09:02:00.000Z',
      why: 'expired',
    });
    expect(lockBody()).toMatchObject({ holder: { user: 'bob' } });

    // Alice wakes up: her next heartbeat finds bob's lease and gives up, without touching it.
    await aliceBeat.tick();
    expect(lost).toEqual([
      `alice: the lease s3://journals/${lockKey} was taken over by bob@ci-runner (pid 77, cutover run since 2026-05-01T09:02:00.001Z, https://gitlab.example.com/ops/migrate/-/jobs/991) after it expired at 2026-05-01T09:02:00.000Z (it was not renewed in time: S3 unreachable, or this process was paused); this command writes nothing more to the journal`,
    ]);
    expect(() => alices.assertHeld()).toThrow(/was taken over by bob@ci-runner/);
    expect(lockBody()).toMatchObject({ holder: { user: 'bob' } });
    await bobs.release();
  });

  it('takeover race: of two commands taking over the same expired lease, exactly one wins', async () => {
    const gate = barrier(2);
    const { options, clock, model, lockBody, client } = setup({
      before: async (operation, input) => {
        // Both read the expired lease before either writes.
        if (operation === 'PutObject' && input.IfMatch !== undefined) await gate();
      },
    });
    await acquireS3Lease(client, journal, options(alice)); // then alice is killed: never renewed, never released
    const expired = model.object('journals', lockKey)?.etag;
    clock.advance(DEFAULT_LEASE_MS + 5_000);

    const results = await Promise.allSettled([acquireS3Lease(client, journal, options(bob)), acquireS3Lease(client, journal, options(carol))]);
    const won = results.filter((r): r is PromiseFulfilledResult<Lease> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = won[0]?.value.holder.user;
    const loser = refused[0]?.reason as LockedError;
    expect(loser).toBeInstanceOf(LockedError);
    // The loser names the winner, who now holds a live lease.
    expect(loser.holder?.user).toBe(winner);
    expect(lockBody()).toMatchObject({ holder: { user: winner } });
    // Both tried the takeover on the expired lease's ETag; S3 let only one through.
    expect(puts().filter((put) => put.IfMatch === expired)).toHaveLength(2);
    expect(won[0]?.value.takeover?.previous?.user).toBe('alice');
    await won[0]?.value.release();
  });

  it('is released with a conditional delete of its own version', async () => {
    const { options, model, client } = setup();
    const lease = await acquireS3Lease(client, journal, options(alice));
    const etag = model.object('journals', lockKey)?.etag;
    await lease.release();
    expect(deletes()).toEqual([expect.objectContaining({ Key: lockKey, IfMatch: etag })]);
    expect(model.object('journals', lockKey)).toBeUndefined();
    await lease.release(); // idempotent
    expect(deletes()).toHaveLength(1);
  });

  it("released after it was taken over, it leaves the new holder's lease alone", async () => {
    const { options, clock, lockBody, warnings, client } = setup();
    const alices = await acquireS3Lease(client, journal, options(alice));
    clock.advance(DEFAULT_LEASE_MS + 1);
    const bobs = await acquireS3Lease(client, journal, options(bob));
    // Alice's command ends (without a heartbeat since): its conditional delete gets 412.
    await alices.release();
    expect(deletes()).toHaveLength(1);
    expect(lockBody()).toMatchObject({ holder: { user: 'bob' } });
    expect(warnings).toEqual([]);
    expect(() => bobs.assertHeld()).not.toThrow();
    await bobs.release();
    expect(lockBody()).toBeUndefined();
  });

  it('a lease lost at a heartbeat is not deleted at release', async () => {
    const { options, clock, lockBody, client } = setup();
    const beat = manualSchedule();
    const alices = await acquireS3Lease(client, journal, options(alice, { schedule: beat.schedule }));
    clock.advance(DEFAULT_LEASE_MS + 1);
    await acquireS3Lease(client, journal, options(bob));
    await beat.tick();
    await alices.release();
    expect(deletes()).toEqual([]);
    expect(lockBody()).toMatchObject({ holder: { user: 'bob' } });
  });

  it('keeps the lease through a failed heartbeat (S3 unreachable) and renews at the next one', async () => {
    let down = false;
    const { options, clock, warnings, lockBody, client } = setup({
      before: () => {
        if (down) throw networkError();
      },
    });
    const beat = manualSchedule();
    const lease = await acquireS3Lease(client, journal, options(alice, { schedule: beat.schedule }));
    down = true;
    clock.advance(40_000);
    await beat.tick();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('cannot renew the lease');
    expect(warnings[0]).toContain('retrying (the lease runs out at 2026-05-01T09:02:00.000Z)');
    expect(() => lease.assertHeld()).not.toThrow();
    down = false;
    clock.advance(40_000);
    await beat.tick();
    expect(lockBody()).toMatchObject({ expiresAt: '2026-05-01T09:03:20.000Z' });
    await lease.release();
  });

  it("counts a create whose answer was lost (the SDK's retry saw 412 for its own write)", async () => {
    let lose = true;
    const { options, lockBody, client } = setup({
      after: (operation, _input, outcome) => {
        if (operation === 'PutObject' && outcome.ok && lose) {
          lose = false;
          throw sdkError(412, 'PreconditionFailed');
        }
      },
    });
    const lease = await acquireS3Lease(client, journal, options(alice));
    expect(lockBody()).toMatchObject({ holder: { user: 'alice' } });
    await lease.release();
    expect(lockBody()).toBeUndefined();
  });

  it('readS3Lease and breakS3Lease: cutover unlock removes only the lease it showed', async () => {
    const { options, clock, client } = setup();
    const beat = manualSchedule();
    const lease = await acquireS3Lease(client, journal, options(alice, { schedule: beat.schedule }));
    const shown = await readS3Lease(client, journal, clock.now());
    expect(shown).toMatchObject({ holder: { user: 'alice' }, expiresAt: '2026-05-01T09:02:00.000Z', expired: false });
    // Renewed while the operator was reading: the delete is refused.
    clock.advance(40_000);
    await beat.tick();
    expect(await breakS3Lease(client, journal, shown?.etag ?? '')).toBe('changed');
    const again = await readS3Lease(client, journal, clock.now());
    expect(await breakS3Lease(client, journal, again?.etag ?? '')).toBe('removed');
    expect(await readS3Lease(client, journal, clock.now())).toBeUndefined();
    // Its holder finds out at the next heartbeat.
    await beat.tick();
    expect(() => lease.assertHeld()).toThrow(/was removed/);
  });
  it('a holder on this machine whose process is gone is taken over at once, not after its whole lease (journaled as holder-gone)', async () => {
    const { options, clock, lockBody, client } = setup();
    const crashed: Identity = { user: 'alice', host: 'laptop', pid: deadPid() };
    await acquireS3Lease(client, journal, options(crashed)); // then that process died: never renewed, never released
    clock.advance(5_000); // the lease has 115 s to run
    const again = await acquireS3Lease(client, journal, options({ user: 'alice', host: 'laptop', pid: 5151 }));
    expect(again.takeover).toEqual({
      lock: `s3://journals/${lockKey}`,
      previous: { user: 'alice', host: 'laptop', pid: crashed.pid, command: 'run', since: '2026-05-01T09:00:00.000Z' },
      expiredAt: '2026-05-01T09:02:00.000Z',
      why: 'holder-gone',
    });
    expect(lockBody()).toMatchObject({ holder: { pid: 5151 } });
    await again.release();
  });

  it('a live holder on this machine, and a holder on another machine, are waited for until the lease expires', async () => {
    // This very process holds it.
    const { options, client, clock } = setup();
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const live = await acquireS3Lease(client, journal, options({ user: 'alice', host: 'laptop', pid: process.pid }, { clock: fakeClock(now) }));
    const refused = await refusal(
      acquireS3Lease(client, journal, options({ user: 'bob', host: 'laptop', pid: 5151 }, { clock: fakeClock(new Date(now.getTime() + 5_000)) })),
    );
    expect(refused.holder?.pid).toBe(process.pid);
    await live.release();

    // A dead pid, but on another machine: nothing can be told from here.
    await acquireS3Lease(client, journal, options({ user: 'carol', host: 'desk', pid: deadPid() }));
    clock.advance(5_000);
    expect((await refusal(acquireS3Lease(client, journal, options(bob)))).holder?.user).toBe('carol');
  });

  it('a holder whose lease was taken over and then released is told who took it over, when, and why (from the journal), not "removed"', async () => {
    const { options, clock, lost, model, client } = setup();
    const aliceBeat = manualSchedule();
    await acquireS3Lease(client, journal, options(alice, { schedule: aliceBeat.schedule }));
    clock.advance(DEFAULT_LEASE_MS + 1);
    const bobs = await acquireS3Lease(client, journal, options(bob));
    // bob journals the takeover (as the session does), finishes and releases the lease.
    const previous = bobs.takeover?.previous;
    const takeover = {
      type: 'lock.takeover',
      by: 'bob@ci-runner',
      data: { lock: `s3://journals/${lockKey}`, ...(previous ? { previousHolder: previous } : {}), expiredAt: bobs.takeover?.expiredAt ?? '' },
    } as NewEvent;
    model.set('journals', journal.key, buildJournal([takeover]).text);
    await bobs.release();

    await aliceBeat.tick();
    expect(lost).toEqual([
      `alice: the lease s3://journals/${lockKey} was taken over by bob@ci-runner at 2026-01-01T00:00:01.000Z because it expired at 2026-05-01T09:02:00.000Z (it was not renewed in time: S3 unreachable, or this process was paused); this command writes nothing more to the journal`,
    ]);
    expect(lost[0]).not.toContain('removed');
  });
});
