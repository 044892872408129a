/**
 * The S3 journal store against aws-sdk-client-mock (test/journal/s3-mock.ts): every
 * conditional write it makes (create, append, repair) and what a failed condition does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import { JournalError } from '../../src/journal/errors.js';
import { openJournal } from '../../src/journal/journal.js';
import { acquireS3Lease } from '../../src/journal/s3-lease.js';
import { S3JournalStore } from '../../src/journal/s3-store.js';
import { fakeClock } from '../../src/support/clock.js';
import { buildJournal, journalOptions, started, succeeded } from '../helpers/journal-fixtures.js';
import { etagOf } from '../fake-s3/model.js';
import { barrier, installS3, networkError, puts, s3Mock, sdkError } from './s3-mock.js';
import { rejectionOf } from '../helpers/rejection.js';

const where = { bucket: 'journals', key: 'cutover/web.journal.jsonl' };
const bob = { user: 'bob', host: 'ci-runner', pid: 77, ci: 'https://gitlab.example.com/ops/migrate/-/jobs/991' };

afterAll(() => s3Mock.restore());

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, JournalError);

const text = (model: ReturnType<typeof installS3>['model']) => model.object(where.bucket, where.key)?.body.toString('utf8');

describe('S3JournalStore', () => {
  it('reads a missing journal as "none yet" and creates it with IfNoneMatch: *', async () => {
    const { model, client } = installS3();
    const store = new S3JournalStore(client, where);
    const journal = await openJournal(store, journalOptions());
    expect(journal.exists).toBe(false);
    expect(puts()).toEqual([]);

    await journal.append(started('a'));
    const [create, append] = puts();
    expect(create).toMatchObject({ Bucket: 'journals', Key: 'cutover/web.journal.jsonl', IfNoneMatch: '*' });
    expect(create?.IfMatch).toBeUndefined();
    // journal.created went first, conditional on the object the create made.
    expect(append?.IfMatch).toBe(etagOf(Buffer.from(create?.Body ?? '')));
    const chain = verifyChain(text(model) ?? '');
    expect(chain.events.map((e) => e.type)).toEqual(['journal.created', 'step.started']);
    expect(store.location).toBe('s3://journals/cutover/web.journal.jsonl');
  });

  it('appends by writing the whole object back, IfMatch the ETag of the previous write', async () => {
    const { model, client } = installS3();
    const journal = await openJournal(new S3JournalStore(client, where), journalOptions());
    await journal.append(started('a'));
    const etagAfterStart = model.object(where.bucket, where.key)?.etag;
    await journal.append(succeeded('a'));
    const last = puts().at(-1);
    expect(last?.IfMatch).toBe(etagAfterStart);
    expect(last?.IfNoneMatch).toBeUndefined();
    // Each write carries everything before it: the object is the complete, verified chain.
    expect(Buffer.from(last?.Body ?? '').toString('utf8')).toBe(text(model));
    expect(verifyChain(text(model) ?? '').events.map((e) => e.type)).toEqual(['journal.created', 'step.started', 'step.succeeded']);

    // A later reader continues from the ETag it read.
    const again = await openJournal(new S3JournalStore(client, where), journalOptions());
    const etag = model.object(where.bucket, where.key)?.etag;
    await again.append(started('b'));
    expect(puts().at(-1)?.IfMatch).toBe(etag);
    expect(verifyChain(text(model) ?? '').events).toHaveLength(4);
  });

  it('a concurrent append gets 412 and fails naming the other writer; nothing is overwritten', async () => {
    const { model, client } = installS3();
    model.set(where.bucket, where.key, buildJournal([started('a')]).text);
    const first = await openJournal(new S3JournalStore(client, where), journalOptions());
    // Both read the same version; bob holds the lease and writes first.
    const lease = await acquireS3Lease(client, where, { identity: bob, command: 'run', clock: fakeClock(new Date('2026-01-01T00:05:00Z')), schedule: () => () => undefined });
    const second = await openJournal(new S3JournalStore(client, where), journalOptions({ identity: bob }));
    await second.append(succeeded('a'));
    const bobs = text(model);

    const error = await rejection(first.append(succeeded('a')));
    expect(error.kind).toBe('conflict');
    expect(puts().at(-1)).toMatchObject({ IfMatch: expect.any(String) });
    expect(error.message).toContain('someone else changed it since this command read it');
    expect(error.message).toContain('its last event is #3 step.succeeded, written by bob@ci-runner (https://gitlab.example.com/ops/migrate/-/jobs/991)');
    expect(error.message).toContain('the lease is held by bob@ci-runner (pid 77, cutover run since 2026-01-01T00:05:00.000Z, https://gitlab.example.com/ops/migrate/-/jobs/991)');
    expect(error.message).toContain('nothing was overwritten');
    expect(text(model)).toBe(bobs);
    // The losing journal writes nothing more.
    expect((await rejection(first.append(started('b')))).kind).toBe('poisoned');
    expect(text(model)).toBe(bobs);
    await lease.release();
  });

  it('after a 412 it never names this command as the other writer: it holds the lease, so the other wrote without it', async () => {
    const { model, client } = installS3();
    model.set(where.bucket, where.key, buildJournal([started('a')]).text);
    const clock = fakeClock(new Date('2026-01-01T00:05:00Z'));
    const alice = { user: 'alice', host: 'laptop', pid: 4242 };
    const lease = await acquireS3Lease(client, where, { identity: alice, command: 'run', clock, schedule: () => () => undefined });
    const mine = await openJournal(new S3JournalStore(client, where, { lease: { ...(lease.id ? { id: lease.id } : {}), holder: lease.holder } }), journalOptions());
    // bob writes without the lease (its own was removed with cutover unlock --force, say).
    const other = await openJournal(new S3JournalStore(client, where), journalOptions({ identity: bob }));
    await other.append(succeeded('a'));

    const error = await rejection(mine.append(succeeded('a')));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('written by bob@ci-runner');
    expect(error.message).toContain('this command (pid 4242) still holds the lease, so the other writer wrote without it');
    expect(error.message).not.toContain('the lease is held by alice@laptop');
    await lease.release();
  });

  it('after a 412 because its lease was taken over, it says by whom, when and why (the journal\'s lock.takeover)', async () => {
    const { model, client } = installS3();
    model.set(where.bucket, where.key, buildJournal([started('a')]).text);
    const clock = fakeClock(new Date('2026-01-01T00:05:00Z'));
    const alice = { user: 'alice', host: 'laptop', pid: 4242 };
    const lease = await acquireS3Lease(client, where, { identity: alice, command: 'run', clock, schedule: () => () => undefined });
    const mine = await openJournal(new S3JournalStore(client, where, { lease: { ...(lease.id ? { id: lease.id } : {}), holder: lease.holder }, now: () => clock.now() }), journalOptions());
    clock.advance(3 * 60_000); // alice was paused: no heartbeat, the lease ran out
    const bobs = await acquireS3Lease(client, where, { identity: bob, command: 'run', clock, schedule: () => () => undefined });
    const other = await openJournal(new S3JournalStore(client, where), journalOptions({ identity: bob, clock }));
    await other.append({ type: 'lock.takeover', data: { lock: bobs.location, previousHolder: lease.holder, expiredAt: bobs.takeover?.expiredAt ?? '' } });

    const error = await rejection(mine.append(succeeded('a')));
    expect(error.message).toContain(`this command's lease s3://journals/cutover/web.journal.jsonl.lock was taken over by bob@ci-runner (https://gitlab.example.com/ops/migrate/-/jobs/991) at 2026-01-01T00:08:00.000Z because it expired at 2026-01-01T00:07:00.000Z`);
    expect(error.message).toContain('the lease is now held by bob@ci-runner');
    await bobs.release();
  });

  it('of two commands creating the same journal, exactly one wins', async () => {
    const gate = barrier(2);
    const { model, client } = installS3({
      before: async (operation) => {
        if (operation === 'PutObject') await gate();
      },
    });
    const a = await openJournal(new S3JournalStore(client, where), journalOptions());
    const b = await openJournal(new S3JournalStore(client, where), journalOptions({ identity: bob }));
    const results = await Promise.allSettled([a.append(started('a')), b.append(started('a'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(JournalError);
    expect((loser.reason as JournalError).kind).toBe('conflict');
    expect((loser.reason as JournalError).message).toMatch(/written by (alice@laptop|bob@ci-runner)/);
    expect(verifyChain(text(model) ?? '').events.map((e) => e.type)).toEqual(['journal.created', 'step.started']);
  });

  it('a write whose answer was lost counts when the object holds exactly what was written', async () => {
    let lose = 0;
    const { model, client } = installS3({
      after: (operation, _input, outcome) => {
        // The SDK retried a PutObject that had landed: its retry got 412 for our own write.
        if (operation === 'PutObject' && outcome.ok && lose-- > 0) throw sdkError(412, 'PreconditionFailed');
      },
    });
    const journal = await openJournal(new S3JournalStore(client, where), journalOptions());
    lose = 2;
    await journal.append(started('a'));
    await journal.append(succeeded('a'));
    expect(verifyChain(text(model) ?? '').events.map((e) => e.type)).toEqual(['journal.created', 'step.started', 'step.succeeded']);
  });

  it('a write that did not happen (network down) fails the append and leaves the journal as it was', async () => {
    let down = false;
    const { model, client } = installS3({
      before: (operation) => {
        if (down && operation === 'PutObject') throw networkError();
      },
    });
    const journal = await openJournal(new S3JournalStore(client, where), journalOptions());
    await journal.append(started('a'));
    const before = text(model);
    down = true;
    const error = await rejection(journal.append(succeeded('a')));
    expect(error.kind).toBe('io');
    expect(error.message).toContain('cannot write the journal s3://journals/cutover/web.journal.jsonl');
    expect(text(model)).toBe(before);
  });

  it('retries a 409 ConditionalRequestConflict while the object is unchanged', async () => {
    let conflicts = 1;
    const { model, client } = installS3({
      before: (operation) => {
        if (operation === 'PutObject' && conflicts-- > 0) throw sdkError(409, 'ConditionalRequestConflict');
      },
    });
    const journal = await openJournal(new S3JournalStore(client, where), journalOptions());
    await journal.append(started('a'));
    expect(verifyChain(text(model) ?? '').events).toHaveLength(2);
  });

  it('cuts a torn last line with a conditional write of the verified prefix, then journals the repair', async () => {
    const { model, client } = installS3();
    const { text: intact } = buildJournal([started('a')]);
    model.set(where.bucket, where.key, `${intact}{"v":1,"seq":3,"ty`);
    const torn = model.object(where.bucket, where.key)?.etag;
    const journal = await openJournal(new S3JournalStore(client, where), journalOptions());
    expect(journal.warnings).toEqual([{ torn: { line: 3, bytes: 18 } }]);
    await journal.append(succeeded('a'));
    const [cut] = puts();
    expect(cut?.IfMatch).toBe(torn);
    expect(Buffer.from(cut?.Body ?? '').toString('utf8')).toBe(intact);
    expect(verifyChain(text(model) ?? '').events.map((e) => e.type)).toEqual(['journal.created', 'step.started', 'journal.repaired', 'step.succeeded']);
  });

  it('refuses to write once the lease guard says this process lost its lease', async () => {
    const { model, client } = installS3();
    let held = true;
    const store = new S3JournalStore(client, where, {
      beforeWrite: () => {
        if (!held) throw new JournalError('conflict', 'the lease was taken over', 'run again');
      },
    });
    const journal = await openJournal(store, journalOptions());
    await journal.append(started('a'));
    const count = puts().length;
    held = false;
    expect((await rejection(journal.append(succeeded('a')))).kind).toBe('conflict');
    expect(puts()).toHaveLength(count);
    expect(verifyChain(text(model) ?? '').events).toHaveLength(2);
  });

  it('reading needs GetObject only (status, log)', async () => {
    const { model, client } = installS3();
    model.set(where.bucket, where.key, buildJournal([started('a'), succeeded('a')]).text);
    const journal = await openJournal(new S3JournalStore(client, where), journalOptions());
    expect(journal.events).toHaveLength(3);
    expect(s3Mock.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetObjectCommand']);
  });

  it('an S3 error other than a condition becomes a one-line JournalError that says what to check', async () => {
    const { client } = installS3({
      before: () => {
        throw sdkError(403, 'AccessDenied', 'Access Denied');
      },
    });
    const error = await rejection(openJournal(new S3JournalStore(client, where), journalOptions()));
    expect(error.kind).toBe('io');
    expect(error.message).toContain('cannot read the journal s3://journals/cutover/web.journal.jsonl: AccessDenied (HTTP 403): Access Denied');
  });
});
