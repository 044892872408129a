/**
 * The S3 journal store against aws-sdk-client-mock (test/journal/s3-mock.ts): the segmented
 * layout (one small conditional PutObject per append, snapshots, incremental reads), what a
 * failed condition does, a writer killed between its writes, and migration from the
 * single-object layout.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import { JournalError } from '../../src/journal/errors.js';
import { openJournal } from '../../src/journal/journal.js';
import { acquireS3Lease } from '../../src/journal/s3-lease.js';
import { parseManifest, segmentKey, snapshotKey } from '../../src/journal/s3-layout.js';
import { S3JournalStore } from '../../src/journal/s3-store.js';
import type { S3JournalStoreOptions } from '../../src/journal/s3-store.js';
import { fakeClock } from '../../src/support/clock.js';
import { buildJournal, journalOptions, started, succeeded } from '../helpers/journal-fixtures.js';
import type { S3Model } from '../fake-s3/model.js';
import { barrier, installS3, networkError, operations, puts, s3Mock, sdkError } from './s3-mock.js';
import type { S3Input } from './s3-mock.js';
import { rejectionOf } from '../helpers/rejection.js';

const where = { bucket: 'journals', key: 'cutover/web.journal.jsonl' };
const bob = { user: 'bob', host: 'ci-runner', pid: 77, ci: 'https://gitlab.example.com/ops/migrate/-/jobs/991' };

afterAll(() => s3Mock.restore());

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, JournalError);
const body = (input: S3Input | undefined) => Buffer.from(input?.Body ?? '').toString('utf8');
const segment = (model: S3Model, n: number) => model.object(where.bucket, segmentKey(where.key, n))?.body.toString('utf8');
const manifest = (model: S3Model) => {
  const object = model.object(where.bucket, where.key);
  const parsed = object ? parseManifest(object.body) : undefined;
  if (!parsed || 'newer' in parsed) throw new Error('no manifest');
  return parsed;
};
const store = (client: ReturnType<typeof installS3>['client'], options: S3JournalStoreOptions = {}) =>
  new S3JournalStore(client, where, { writer: 'alice@laptop', ...options });

/** The whole journal as a fresh reader sees it, its chain verified. */
async function stored(client: ReturnType<typeof installS3>['client']): Promise<string> {
  const text = await new S3JournalStore(client, where).readText();
  if (text === undefined) throw new Error('no journal');
  verifyChain(text);
  return text;
}
const types = (text: string) => verifyChain(text).events.map((e) => e.type);

describe('S3JournalStore: the segmented layout', () => {
  it('creates a new journal with its manifest (IfNoneMatch: *), then one segment per append (IfNoneMatch: *)', async () => {
    const { model, client } = installS3();
    const journal = await openJournal(store(client), journalOptions());
    expect(journal.exists).toBe(false);
    expect(puts()).toEqual([]);

    await journal.append(started('a'));
    const [create, first, second] = puts();
    expect(create).toMatchObject({ Key: where.key, IfNoneMatch: '*' });
    expect(manifest(model)).toMatchObject({ format: 'cutover.s3-journal', version: 1, snapshot: null, createdBy: 'alice@laptop' });
    expect(first).toMatchObject({ Key: segmentKey(where.key, 1), IfNoneMatch: '*' });
    expect(second).toMatchObject({ Key: 'cutover/web.journal.jsonl.d/segments/000000000002.jsonl', IfNoneMatch: '*' });
    expect(puts().every((put) => put.IfMatch === undefined)).toBe(true);
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started']);
    expect(store(client).location).toBe('s3://journals/cutover/web.journal.jsonl');
  });

  it('an append uploads the new line only, whatever the length of the journal', async () => {
    const { client } = installS3();
    const journal = await openJournal(store(client, { compactEvery: 1000 }), journalOptions());
    const sizes: number[] = [];
    for (let i = 0; i < 300; i += 1) {
      await journal.append(succeeded('a', 1000 + i));
      const last = puts().at(-1);
      expect(last?.Key).toBe(segmentKey(where.key, i + 2));
      sizes.push(body(last).length);
    }
    // Constant: only the digits of seq vary (2 to 301).
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(2);
    expect(body(puts().at(-1))).toBe(`${(await stored(client)).split('\n').at(-2) ?? ''}\n`);

    // A later writer continues with the next segment.
    const again = await openJournal(store(client, { compactEvery: 1000 }), journalOptions());
    await again.append(started('b'));
    expect(puts().at(-1)?.Key).toBe(segmentKey(where.key, 302));
    expect(verifyChain(await stored(client)).events).toHaveLength(302);
  });

  it('a reader fetches only what is new: one List when nothing changed, one List and one Get per new segment', async () => {
    const { client } = installS3();
    const writer = await openJournal(store(client), journalOptions());
    for (let i = 0; i < 20; i += 1) await writer.append(succeeded('a', i));
    const reader = new S3JournalStore(client, where);
    const first = await reader.readText();
    s3Mock.resetHistory();
    expect(await reader.readText()).toBe(first);
    expect(operations()).toEqual(['ListObjectsV2']);

    for (let i = 0; i < 10; i += 1) await writer.append(started(`b${i}`));
    s3Mock.resetHistory();
    const second = await reader.readText();
    expect(operations().sort()).toEqual(['ListObjectsV2', ...Array<string>(10).fill('GetObject')].sort());
    expect(second).toBe(await stored(client));
    expect(verifyChain(second ?? '').events).toHaveLength(31);
  });

  it('compacts every N segments into a snapshot that a cold reader starts from; nothing is deleted', async () => {
    const { model, client } = installS3();
    const journal = await openJournal(store(client, { compactEvery: 5 }), journalOptions());
    for (let i = 0; i < 11; i += 1) await journal.append(succeeded('a', i)); // segments 1..12
    expect(manifest(model).snapshot).toBe(10);
    const snapshot = model.object(where.bucket, snapshotKey(where.key, 10))?.body.toString('utf8') ?? '';
    expect(verifyChain(snapshot).events).toHaveLength(10);
    expect(model.object(where.bucket, snapshotKey(where.key, 5))).toBeDefined();
    expect(segment(model, 1)).toBeDefined();
    const manifestPuts = puts().filter((put) => put.Key === where.key);
    expect(manifestPuts.slice(1).every((put) => put.IfMatch !== undefined)).toBe(true);

    s3Mock.resetHistory();
    const text = await stored(client);
    // The manifest, snapshot 10, one List, segments 11 and 12.
    expect(operations()).toEqual(['GetObject', 'GetObject', 'ListObjectsV2', 'GetObject', 'GetObject']);
    expect(verifyChain(text).events).toHaveLength(12);
    expect(text.startsWith(snapshot)).toBe(true);
  });

  it('a gap in the segment numbers, or a segment that does not end with a complete line, is damage', async () => {
    const { model, client } = installS3();
    const journal = await openJournal(store(client), journalOptions());
    for (let i = 0; i < 4; i += 1) await journal.append(succeeded('a', i));
    model.delete(where.bucket, segmentKey(where.key, 3));
    const gap = await rejection(new S3JournalStore(client, where).readText());
    expect(gap.kind).toBe('damaged');
    expect(gap.message).toContain('segment 3 (s3://journals/cutover/web.journal.jsonl.d/segments/000000000003.jsonl) is missing although segment 4 exists');

    const { model: other, client: otherClient } = installS3();
    const second = await openJournal(store(otherClient), journalOptions());
    await second.append(succeeded('a'));
    await second.append(started('b'));
    const original = segment(other, 2) ?? '';
    other.set(where.bucket, segmentKey(where.key, 2), original.trimEnd());
    expect((await rejection(new S3JournalStore(otherClient, where).readText())).message).toContain('000000000002.jsonl does not end with a complete line');
    // An edited segment breaks the chain, as in a file.
    other.set(where.bucket, segmentKey(where.key, 2), original.replace('"durationMs":1000', '"durationMs":1'));
    const edited = await new S3JournalStore(otherClient, where).readText();
    expect(() => verifyChain(edited ?? '')).toThrow(/the hash chain is broken/);
  });

  it('a concurrent append gets 412 and fails naming the other writer; nothing is overwritten', async () => {
    const { client } = installS3();
    const seed = await openJournal(store(client), journalOptions());
    await seed.append(started('a'));
    const first = await openJournal(store(client), journalOptions());
    // Both read the same journal; bob holds the lease and writes first.
    const lease = await acquireS3Lease(client, where, {
      identity: bob,
      command: 'run',
      clock: fakeClock(new Date('2026-01-01T00:05:00Z')),
      schedule: () => () => undefined,
    });
    const second = await openJournal(store(client), journalOptions({ identity: bob }));
    await second.append(succeeded('a'));
    const bobs = await stored(client);

    const error = await rejection(first.append(succeeded('a')));
    expect(error.kind).toBe('conflict');
    expect(puts().at(-1)).toMatchObject({ Key: segmentKey(where.key, 3), IfNoneMatch: '*' });
    expect(error.message).toContain('someone else changed it since this command read it');
    expect(error.message).toContain('its last event is #3 step.succeeded, written by bob@ci-runner (https://gitlab.example.com/ops/migrate/-/jobs/991)');
    expect(error.message).toContain(
      'the lease is held by bob@ci-runner (pid 77, cutover run since 2026-01-01T00:05:00.000Z, https://gitlab.example.com/ops/migrate/-/jobs/991)',
    );
    expect(error.message).toContain('nothing was overwritten');
    expect(await stored(client)).toBe(bobs);
    // The losing journal writes nothing more.
    expect((await rejection(first.append(started('b')))).kind).toBe('poisoned');
    expect(await stored(client)).toBe(bobs);
    await lease.release();
  });

  it('after a 412 it never names this command as the other writer: it holds the lease, so the other wrote without it', async () => {
    const { client } = installS3();
    await (await openJournal(store(client), journalOptions())).append(started('a'));
    const clock = fakeClock(new Date('2026-01-01T00:05:00Z'));
    const alice = { user: 'alice', host: 'laptop', pid: 4242 };
    const lease = await acquireS3Lease(client, where, { identity: alice, command: 'run', clock, schedule: () => () => undefined });
    const mine = await openJournal(store(client, { lease: { ...(lease.id ? { id: lease.id } : {}), holder: lease.holder } }), journalOptions());
    // bob writes without the lease (its own was removed with cutover unlock --force, say).
    const other = await openJournal(store(client), journalOptions({ identity: bob }));
    await other.append(succeeded('a'));

    const error = await rejection(mine.append(succeeded('a')));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('written by bob@ci-runner');
    expect(error.message).toContain('this command (pid 4242) still holds the lease, so the other writer wrote without it');
    expect(error.message).not.toContain('the lease is held by alice@laptop');
    await lease.release();
  });

  it("after a 412 because its lease was taken over, it says by whom, when and why (the journal's lock.takeover)", async () => {
    const { client } = installS3();
    await (await openJournal(store(client), journalOptions())).append(started('a'));
    const clock = fakeClock(new Date('2026-01-01T00:05:00Z'));
    const alice = { user: 'alice', host: 'laptop', pid: 4242 };
    const lease = await acquireS3Lease(client, where, { identity: alice, command: 'run', clock, schedule: () => () => undefined });
    const mine = await openJournal(
      store(client, { lease: { ...(lease.id ? { id: lease.id } : {}), holder: lease.holder }, now: () => clock.now() }),
      journalOptions(),
    );
    clock.advance(3 * 60_000); // alice was paused: no heartbeat, the lease ran out
    const bobs = await acquireS3Lease(client, where, { identity: bob, command: 'run', clock, schedule: () => () => undefined });
    const other = await openJournal(store(client), journalOptions({ identity: bob, clock }));
    await other.append({ type: 'lock.takeover', data: { lock: bobs.location, previousHolder: lease.holder, expiredAt: bobs.takeover?.expiredAt ?? '' } });

    const error = await rejection(mine.append(succeeded('a')));
    expect(error.message).toContain(
      `this command's lease s3://journals/cutover/web.journal.jsonl.lock was taken over by bob@ci-runner (https://gitlab.example.com/ops/migrate/-/jobs/991) at 2026-01-01T00:08:00.000Z because it expired at 2026-01-01T00:07:00.000Z`,
    );
    expect(error.message).toContain('the lease is now held by bob@ci-runner');
    await bobs.release();
  });

  it('of two commands creating the same journal, exactly one wins', async () => {
    const gate = barrier(2);
    const { client } = installS3({
      before: async (operation) => {
        if (operation === 'PutObject') await gate();
      },
    });
    const a = await openJournal(store(client), journalOptions());
    const b = await openJournal(store(client, { writer: 'bob@ci-runner' }), journalOptions({ identity: bob }));
    const results = await Promise.allSettled([a.append(started('a')), b.append(started('a'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(JournalError);
    expect((loser.reason as JournalError).kind).toBe('conflict');
    expect((loser.reason as JournalError).message).toMatch(/(written|created) by (alice@laptop|bob@ci-runner)/);
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started']);
  });

  it('a write whose answer was lost counts when the object holds exactly what was written', async () => {
    let lose = 0;
    const { client } = installS3({
      after: (operation, _input, outcome) => {
        // The SDK retried a PutObject that had landed: its retry got 412 for our own write.
        if (operation === 'PutObject' && outcome.ok && lose-- > 0) throw sdkError(412, 'PreconditionFailed');
      },
    });
    const journal = await openJournal(store(client), journalOptions());
    lose = 3;
    await journal.append(started('a'));
    await journal.append(succeeded('a'));
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started', 'step.succeeded']);
  });

  it('a write that did not happen (network down) fails the append and leaves the journal as it was', async () => {
    let down = false;
    const { client } = installS3({
      before: (operation) => {
        if (down && operation === 'PutObject') throw networkError();
      },
    });
    const journal = await openJournal(store(client), journalOptions());
    await journal.append(started('a'));
    const before = await stored(client);
    down = true;
    const error = await rejection(journal.append(succeeded('a')));
    expect(error.kind).toBe('io');
    expect(error.message).toContain('cannot write the journal s3://journals/cutover/web.journal.jsonl');
    expect(await stored(client)).toBe(before);
  });

  it('retries a 409 ConditionalRequestConflict (S3 applied neither racing write) while the segment is still free', async () => {
    const { model, client } = installS3();
    const journal = await openJournal(store(client), journalOptions());
    await journal.append(started('a'));
    model.conflictNext(where.bucket, segmentKey(where.key, 3));
    await journal.append(succeeded('a'));
    expect(puts().filter((put) => put.Key === segmentKey(where.key, 3))).toHaveLength(2);
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started', 'step.succeeded']);
  });

  it('refuses to write once the lease guard says this process lost its lease', async () => {
    const { client } = installS3();
    let held = true;
    const journal = await openJournal(
      store(client, {
        beforeWrite: () => {
          if (!held) throw new JournalError('conflict', 'the lease was taken over', 'run again');
        },
      }),
      journalOptions(),
    );
    await journal.append(started('a'));
    const count = puts().length;
    held = false;
    expect((await rejection(journal.append(succeeded('a')))).kind).toBe('conflict');
    expect(puts()).toHaveLength(count);
    expect(verifyChain(await stored(client)).events).toHaveLength(2);
  });

  it('reading needs GetObject and ListBucket only (status, log)', async () => {
    const { client } = installS3();
    const journal = await openJournal(store(client), journalOptions());
    await journal.append(started('a'));
    s3Mock.resetHistory();
    const reader = await openJournal(new S3JournalStore(client, where), journalOptions());
    expect(reader.events).toHaveLength(2);
    expect(new Set(operations())).toEqual(new Set(['GetObject', 'ListObjectsV2']));
  });

  it('a manifest of a newer format is refused, not read as an empty journal', async () => {
    const { model, client } = installS3();
    model.set(where.bucket, where.key, '{"format":"cutover.s3-journal","version":2,"id":"x","snapshot":null}\n');
    const error = await rejection(openJournal(store(client), journalOptions()));
    expect(error.message).toContain('format version 2, which this cutover does not know');
  });

  it('an S3 error other than a condition becomes a one-line JournalError that says what to check', async () => {
    const { client } = installS3({
      before: () => {
        throw sdkError(403, 'AccessDenied', 'Access Denied');
      },
    });
    const error = await rejection(openJournal(store(client), journalOptions()));
    expect(error.kind).toBe('io');
    expect(error.message).toContain('cannot read the journal s3://journals/cutover/web.journal.jsonl: AccessDenied (HTTP 403): Access Denied');
  });
});

describe('S3JournalStore: a writer killed between its writes', () => {
  /**
   * `kill(predicate)`: the request the predicate picks is applied by S3, and from then on the
   * writer's process is gone: it sees no answer and sends nothing more. A new writer (the next
   * command, with the same mock) then opens the journal.
   */
  function killable() {
    let dead = false;
    let killAt: ((operation: string, input: S3Input) => boolean) | undefined;
    const s3 = installS3({
      before: () => {
        if (dead) throw new Error('the process is gone');
      },
      after: (operation, input) => {
        if (killAt?.(operation, input)) {
          dead = true;
          killAt = undefined;
          throw new Error('killed right after this request landed');
        }
      },
    });
    return { ...s3, kill: (at: (operation: string, input: S3Input) => boolean) => (killAt = at), revive: () => (dead = false) };
  }

  it('killed right after a segment write: the next command finds that event, verifies the chain, and continues after it', async () => {
    const { client, kill, revive } = killable();
    const journal = await openJournal(store(client), journalOptions());
    await journal.append(started('a'));
    kill((operation, input) => operation === 'PutObject' && input.Key === segmentKey(where.key, 3));
    await expect(journal.append(succeeded('a'))).rejects.toThrow();
    revive();
    const next = await openJournal(store(client), journalOptions());
    expect(next.events.map((e) => e.type)).toEqual(['journal.created', 'step.started', 'step.succeeded']);
    await next.append(started('b'));
    expect(puts().at(-1)?.Key).toBe(segmentKey(where.key, 4));
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started', 'step.succeeded', 'step.started']);
  });

  it('killed after the segment that triggers a compaction, and after its snapshot before the manifest: readers never notice, the next writer compacts again', async () => {
    for (const stage of ['segment', 'snapshot'] as const) {
      const { model, client, kill, revive } = killable();
      const journal = await openJournal(store(client, { compactEvery: 4 }), journalOptions());
      await journal.append(started('a')); // segments 1, 2
      await journal.append(succeeded('a')); // 3
      kill((operation, input) => operation === 'PutObject' && input.Key === (stage === 'segment' ? segmentKey(where.key, 4) : snapshotKey(where.key, 4)));
      await journal.append(started('b')).catch(() => undefined); // segment 4, then the compaction
      revive();
      expect(manifest(model).snapshot).toBeNull();
      expect(model.object(where.bucket, snapshotKey(where.key, 4)) !== undefined).toBe(stage === 'snapshot');
      const text = await stored(client);
      expect(types(text)).toEqual(['journal.created', 'step.started', 'step.succeeded', 'step.started']);

      const next = await openJournal(store(client, { compactEvery: 4 }), journalOptions());
      await next.append(succeeded('b')); // segment 5: 5 segments since no snapshot, so it compacts
      expect(manifest(model).snapshot).toBe(5);
      expect(types(await stored(client))).toEqual(['journal.created', 'step.started', 'step.succeeded', 'step.started', 'step.succeeded']);
    }
  });

  it('killed after creating the manifest, before the first segment: the journal reads as not started, and the next command writes it', async () => {
    const { model, client, kill, revive } = killable();
    const journal = await openJournal(store(client), journalOptions());
    kill((operation, input) => operation === 'PutObject' && input.Key === where.key);
    await expect(journal.append(started('a'))).rejects.toThrow();
    revive();
    expect(manifest(model).snapshot).toBeNull();
    const next = await openJournal(store(client), journalOptions());
    expect(next.exists).toBe(false);
    await next.append(started('a'));
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started']);
  });
});

describe('S3JournalStore: migration from the single-object layout', () => {
  it('reads a single-object journal as it is, and migrates it on the first append: snapshot 0, then the manifest IfMatch the version read', async () => {
    const { model, client } = installS3();
    const { text: legacy } = buildJournal([started('a')]);
    const legacyEtag = model.set(where.bucket, where.key, legacy).etag;
    const reader = new S3JournalStore(client, where);
    expect(await reader.readText()).toBe(legacy);
    expect(reader.layout).toBe('legacy');

    const journal = await openJournal(store(client), journalOptions());
    await journal.append(succeeded('a'));
    const [snapshot, manifestPut, first] = puts();
    expect(snapshot).toMatchObject({ Key: snapshotKey(where.key, 0), IfNoneMatch: '*' });
    expect(body(snapshot)).toBe(legacy);
    expect(manifestPut).toMatchObject({ Key: where.key, IfMatch: legacyEtag });
    expect(first).toMatchObject({ Key: segmentKey(where.key, 1), IfNoneMatch: '*' });
    expect(manifest(model).snapshot).toBe(0);
    const text = await stored(client);
    expect(text.startsWith(legacy)).toBe(true);
    expect(types(text)).toEqual(['journal.created', 'step.started', 'step.succeeded']);
    // The reader that read the old layout follows the migration on its next read.
    expect(await reader.readText()).toBe(text);
    expect(reader.layout).toBe('segmented');
  });

  it('a migration killed between snapshot 0 and the manifest leaves the single object as the journal; the next one migrates again', async () => {
    const { model, client } = installS3();
    const { text: legacy } = buildJournal([started('a')]);
    model.set(where.bucket, where.key, legacy);
    // A stale copy from an earlier, interrupted migration of a shorter journal.
    model.set(where.bucket, snapshotKey(where.key, 0), buildJournal([]).text);
    const journal = await openJournal(store(client), journalOptions());
    await journal.append(succeeded('a'));
    expect(model.object(where.bucket, snapshotKey(where.key, 0))?.body.toString('utf8')).toBe(legacy);
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started', 'step.succeeded']);
  });

  it('a single-object journal with a torn last line is cut (IfMatch), the repair journaled, then migrated', async () => {
    const { model, client } = installS3();
    const { text: intact } = buildJournal([started('a')]);
    const torn = model.set(where.bucket, where.key, `${intact}{"v":1,"seq":3,"ty`).etag;
    const journal = await openJournal(store(client), journalOptions());
    expect(journal.warnings).toEqual([{ torn: { line: 3, bytes: 18 } }]);
    await journal.append(succeeded('a'));
    const [cut, snapshot] = puts();
    expect(cut).toMatchObject({ Key: where.key, IfMatch: torn });
    expect(body(cut)).toBe(intact);
    expect(body(snapshot)).toBe(intact);
    expect(types(await stored(client))).toEqual(['journal.created', 'step.started', 'journal.repaired', 'step.succeeded']);
  });

  it('a single-object write by an older cutover after this one read it is a conflict (412), not overwritten', async () => {
    const { model, client } = installS3();
    model.set(where.bucket, where.key, buildJournal([started('a')]).text);
    const journal = await openJournal(store(client), journalOptions());
    const newer = buildJournal([started('a'), succeeded('a')]).text;
    model.set(where.bucket, where.key, newer);
    const error = await rejection(journal.append(failed('a')));
    expect(error.kind).toBe('conflict');
    expect(model.object(where.bucket, where.key)?.body.toString('utf8')).toBe(newer);
  });
});

const failed = (id: string) => ({ type: 'step.failed' as const, step: id, data: { phase: 'action' as const, reason: 'exit 1' } });
