/**
 * A journal on S3, split into small objects so that an append costs the same at event 10,000
 * as at event 10 (layout: s3-layout.ts, docs/s3-journal.md).
 *
 * - Append: one PutObject of a new segment, `IfNoneMatch: '*'`. If anyone else wrote that
 *   segment first, S3 answers 412 and nothing is overwritten: the append fails with an error
 *   that names the other writer. A PutObject that S3 acknowledged is durable.
 * - Read: the manifest, the snapshot it names, then the segments after it (ListObjectsV2
 *   `StartAfter`, then the new segments in parallel). A store that has read keeps what it
 *   read: reading again (status --watch) lists and fetches only newer segments. A missing
 *   segment (a gap in the numbers) or one that does not end with a complete line is damage.
 * - Compaction: every `compactEvery` segments the writer (under the lease) writes a snapshot
 *   of the whole journal and points the manifest at it (`IfMatch`). Nothing is deleted.
 * - Migration: a journal in the single-object layout (one object holding every line, as
 *   cutover wrote before) is read as it is; the first append under the lease copies it to
 *   snapshot 0 and replaces the object with a manifest, `IfMatch` the version it read.
 *
 * When the answer to a PutObject is lost (the network dropped, or the SDK retried a write
 * that had landed and got 412 for its own write), the object is read again: if it holds
 * exactly what was written, the write happened; otherwise it did not, and the append fails.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../support/concurrency.js';
import { DAMAGED_ADVICE } from './chain.js';
import { JournalError, describeHolder } from './errors.js';
import type { LockHolder } from './errors.js';
import { getObject, isConditionalConflict, isMissingObject, isPreconditionFailed, listKeysAfter, putObject, s3Failure, tryGetObject } from './s3-io.js';
import type { S3Object, WriteCondition } from './s3-io.js';
import { encodeManifest, newManifest, parseManifest, segmentKey, segmentNumberOf, segmentsPrefix, snapshotKey } from './s3-layout.js';
import type { Manifest } from './s3-layout.js';
import { describeTakeoverOf, findTakeoverOf, readS3Lease } from './s3-lease.js';
import type { S3Location } from './s3-url.js';
import { formatS3Url } from './s3-url.js';
import type { JournalStore } from './store.js';

export interface S3JournalStoreOptions {
  /** Called before every write; throws when this process may no longer write (its lease was lost). */
  beforeWrite?: () => void;
  /** For the lease's expiry in conflict messages, and the manifest's createdAt. */
  now?: () => Date;
  /** The lease this command holds, so a conflict message never names this command as the other writer. */
  lease?: { id?: string; holder: LockHolder };
  /** Who writes (user@host, CI job), recorded in a new journal's manifest. */
  writer?: string;
  /** Segments between snapshots; default COMPACT_EVERY. */
  compactEvery?: number;
  /** Something the operator should know that changes nothing (a compaction that failed). */
  onWarning?: (message: string) => void;
}

/** Segments between two snapshots: a cold read fetches at most this many segments after the snapshot. */
export const COMPACT_EVERY = 100;
/** GetObjects in flight while reading new segments. */
const READ_CONCURRENCY = 8;
const CONTENT_TYPE = 'application/x-ndjson';
const MANIFEST_TYPE = 'application/json';

type State =
  | { kind: 'unread' }
  | { kind: 'none' }
  /** The single-object layout: the object is the journal. */
  | { kind: 'legacy'; body: Buffer; etag: string }
  | { kind: 'segmented'; manifest: Manifest; manifestEtag: string; text: string; last: number };

export class S3JournalStore implements JournalStore {
  readonly location: string;
  private state: State = { kind: 'unread' };
  /** A compaction failed: the journal is intact; this process does not try again. */
  private compactionFailed = false;

  constructor(
    private readonly client: S3Client,
    private readonly where: S3Location,
    private readonly options: S3JournalStoreOptions = {},
  ) {
    this.location = formatS3Url(where);
  }

  /** 'segmented' once migrated or created by this version; for tests and `journal push`. */
  get layout(): 'none' | 'legacy' | 'segmented' | 'unread' {
    return this.state.kind;
  }

  async readText(): Promise<string | undefined> {
    try {
      if (this.state.kind === 'segmented') {
        await this.readNewSegments(this.state);
      } else {
        const object = await getObject(this.client, this.where);
        if (!object) {
          this.state = { kind: 'none' };
        } else {
          const manifest = this.manifestOf(object);
          if (manifest) await this.loadSegmented(manifest, object.etag);
          else this.state = { kind: 'legacy', body: object.body, etag: object.etag };
        }
      }
    } catch (error) {
      throw error instanceof JournalError ? error : s3Failure(error, 'read the journal', this.location);
    }
    return this.currentText();
  }

  /** The journal as last read or written; undefined when there is none (a manifest without segments is none yet). */
  private currentText(): string | undefined {
    const state = this.state;
    if (state.kind === 'legacy') return state.body.toString('utf8');
    if (state.kind === 'segmented') return state.text === '' ? undefined : state.text;
    return undefined;
  }

  async appendLine(line: string): Promise<void> {
    if (line.includes('\n')) throw new Error('a journal line cannot contain a newline');
    if (this.state.kind === 'unread') await this.readText();
    if (line === '') {
      // Ends an unterminated last line: only a journal in the single-object layout can have one.
      const state = this.state;
      if (state.kind !== 'legacy') throw bug('only a single-object journal can end without a newline');
      await this.rewriteLegacy(state, Buffer.concat([state.body, Buffer.from('\n')]), 'write the journal');
      return;
    }
    await this.appendText(`${line}\n`);
  }

  /**
   * Appends complete lines (`text` ends with "\n") as one segment: one PutObject. Creates the
   * journal, or migrates a single-object one, first. `journal push` appends many lines at once.
   */
  async appendText(text: string): Promise<void> {
    if (!text.endsWith('\n')) throw bug('a segment must end with a complete line');
    if (this.state.kind === 'unread') await this.readText();
    if (this.state.kind === 'none') await this.create();
    if (this.state.kind === 'legacy') await this.migrate(this.state);
    const state = this.state;
    if (state.kind !== 'segmented') throw bug(`cannot append to a journal in state ${state.kind}`);
    const n = state.last + 1;
    await this.put({ bucket: this.where.bucket, key: segmentKey(this.where.key, n) }, Buffer.from(text, 'utf8'), { ifNoneMatch: '*' }, 'write the journal');
    state.text += text;
    state.last = n;
    if (n - (state.manifest.snapshot ?? 0) >= (this.options.compactEvery ?? COMPACT_EVERY) && !this.compactionFailed) await this.compact(state);
  }

  async truncate(length: number): Promise<void> {
    if (this.state.kind === 'unread') await this.readText();
    const state = this.state;
    if (state.kind === 'none') throw new JournalError('io', `cannot repair ${this.location}: it does not exist`, 'run the command again');
    // Segments are whole objects ending in "\n": a segmented journal never has a torn line.
    if (state.kind !== 'legacy') throw bug('a segmented S3 journal has no torn line to cut');
    await this.rewriteLegacy(state, state.body.subarray(0, length), 'repair the journal');
  }

  private manifestOf(object: S3Object): Manifest | undefined {
    const manifest = parseManifest(object.body);
    if (manifest && 'newer' in manifest) {
      throw new JournalError(
        'damaged',
        `the journal's manifest has format version ${String(manifest.newer)}, which this cutover does not know`,
        'use the cutover version that wrote it (or a later one)',
        undefined,
        this.location,
      );
    }
    return manifest;
  }

  private async loadSegmented(manifest: Manifest, manifestEtag: string): Promise<void> {
    let text = '';
    if (manifest.snapshot !== null) {
      const url = formatS3Url({ bucket: this.where.bucket, key: snapshotKey(this.where.key, manifest.snapshot) });
      const snapshot = await getObject(this.client, { bucket: this.where.bucket, key: snapshotKey(this.where.key, manifest.snapshot) });
      if (!snapshot) throw this.damaged(`its manifest names snapshot ${url}, which does not exist (deleted by hand or by a lifecycle rule?)`);
      text = this.wholeLines(snapshot.body, url);
    }
    const state: Extract<State, { kind: 'segmented' }> = { kind: 'segmented', manifest, manifestEtag, text, last: manifest.snapshot ?? 0 };
    await this.readNewSegments(state);
    this.state = state;
  }

  /** Lists the segments after the last one read and fetches them, in parallel; refuses a gap. */
  private async readNewSegments(state: Extract<State, { kind: 'segmented' }>): Promise<void> {
    const { bucket, key } = this.where;
    const listed = await listKeysAfter(this.client, bucket, segmentsPrefix(key), state.last > 0 ? segmentKey(key, state.last) : undefined);
    const numbers = listed.map((listedKey) => segmentNumberOf(key, listedKey)).filter((n): n is number => n !== undefined && n > state.last);
    numbers.forEach((n, index) => {
      const expected = state.last + 1 + index;
      if (n !== expected) {
        throw this.damaged(
          `segment ${expected} (${formatS3Url({ bucket, key: segmentKey(key, expected) })}) is missing although segment ${n} exists: events were deleted from the middle of the journal`,
        );
      }
    });
    if (numbers.length === 0) return;
    const bodies = await mapLimit(numbers, READ_CONCURRENCY, async (n) => {
      const where = { bucket, key: segmentKey(key, n) };
      const object = await getObject(this.client, where);
      if (!object) throw this.damaged(`segment ${n} (${formatS3Url(where)}) was listed but is gone: events were deleted from the journal`);
      return this.wholeLines(object.body, formatS3Url(where));
    });
    state.text += bodies.join('');
    state.last = numbers.at(-1) ?? state.last;
  }

  /** A snapshot or segment: one or more complete lines. */
  private wholeLines(body: Buffer, url: string): string {
    if (body.length === 0 || body[body.length - 1] !== 0x0a)
      throw this.damaged(`${url} does not end with a complete line (cutover writes every segment and snapshot whole)`);
    return body.toString('utf8');
  }

  private damaged(problem: string): JournalError {
    return new JournalError('damaged', problem, DAMAGED_ADVICE, undefined, this.location);
  }

  /** A new journal: the manifest first (`IfNoneMatch: '*'`, so of two creators exactly one wins), then its segments. */
  private async create(): Promise<void> {
    const manifest = newManifest(randomUUID(), this.now().toISOString(), this.options.writer, null, this.where.key);
    const etag = await this.put(this.where, encodeManifest(manifest), { ifNoneMatch: '*' }, 'create the journal', MANIFEST_TYPE);
    this.state = { kind: 'segmented', manifest, manifestEtag: etag, text: '', last: 0 };
  }

  /**
   * Single-object layout -> segments, under the lease: the object's bytes become snapshot 0,
   * then the object becomes the manifest, `IfMatch` the version read. Killed in between, the
   * object is still the journal and snapshot 0 an unused copy that the next migration replaces.
   */
  private async migrate(state: Extract<State, { kind: 'legacy' }>): Promise<void> {
    const snapshot = { bucket: this.where.bucket, key: snapshotKey(this.where.key, 0) };
    const existing = await getObject(this.client, snapshot).catch((error: unknown) => {
      throw s3Failure(error, 'migrate the journal', this.location);
    });
    if (!existing?.body.equals(state.body))
      await this.put(snapshot, state.body, existing ? { ifMatch: existing.etag } : { ifNoneMatch: '*' }, 'migrate the journal');
    const manifest = newManifest(randomUUID(), this.now().toISOString(), this.options.writer, 0, this.where.key);
    const etag = await this.put(this.where, encodeManifest(manifest), { ifMatch: state.etag }, 'migrate the journal', MANIFEST_TYPE);
    this.state = { kind: 'segmented', manifest, manifestEtag: etag, text: state.body.toString('utf8'), last: 0 };
  }

  private async rewriteLegacy(state: Extract<State, { kind: 'legacy' }>, body: Buffer, doing: string): Promise<void> {
    const etag = await this.put(this.where, body, { ifMatch: state.etag }, doing);
    this.state = { kind: 'legacy', body, etag };
  }

  /**
   * Snapshot of everything through the last segment, then the manifest points at it. Only an
   * optimisation for readers: when it fails the journal is intact (the segment that triggered
   * it is durable), so the append succeeds and this process stops compacting.
   */
  private async compact(state: Extract<State, { kind: 'segmented' }>): Promise<void> {
    const n = state.last;
    try {
      await this.put(
        { bucket: this.where.bucket, key: snapshotKey(this.where.key, n) },
        Buffer.from(state.text, 'utf8'),
        { ifNoneMatch: '*' },
        'compact the journal',
      );
      const manifest: Manifest = { ...state.manifest, snapshot: n };
      state.manifestEtag = await this.put(this.where, encodeManifest(manifest), { ifMatch: state.manifestEtag }, 'compact the journal', MANIFEST_TYPE);
      state.manifest = manifest;
    } catch (error) {
      this.compactionFailed = true;
      const why = error instanceof JournalError ? error.problem : String(error);
      this.options.onWarning?.(
        `could not compact ${this.location} (${why}); the journal is intact, readers just fetch more segments until the next command compacts it`,
      );
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** A conditional PutObject; returns the new ETag. A failed condition is a conflict that names the other writer. */
  private async put(where: S3Location, body: Buffer, condition: WriteCondition, doing: string, contentType = CONTENT_TYPE): Promise<string> {
    this.options.beforeWrite?.();
    // 409 ConditionalRequestConflict: S3 applied neither of two racing writes and asks for a retry.
    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      try {
        return await putObject(this.client, where, body, condition, contentType);
      } catch (error) {
        failure = error;
      }
      const seen = await tryGetObject(this.client, where);
      if (seen.ok && seen.object?.body.equals(body)) return seen.object.etag; // it landed; only the answer was lost
      const conditional = isPreconditionFailed(failure) || isMissingObject(failure) || isConditionalConflict(failure);
      const unchanged = seen.ok && ('ifMatch' in condition ? seen.object?.etag === condition.ifMatch : seen.object === undefined);
      if (isConditionalConflict(failure) && unchanged && attempt < 3) continue;
      if (conditional && seen.ok) throw await this.conflict(seen.object, doing);
      throw s3Failure(conditional && !seen.ok ? seen.error : failure, doing, this.location);
    }
  }

  /** Someone else wrote (or deleted) the journal since this process read it: say who, overwrite nothing. */
  private async conflict(seen: S3Object | undefined, doing: string): Promise<JournalError> {
    const who: string[] = [];
    // What is there now, read afresh (the object that failed the condition may be a segment or the manifest).
    const fresh = new S3JournalStore(this.client, this.where);
    const text = await fresh.readText().catch(() => undefined);
    const last = text === undefined ? (seen ? lastEvent(seen.body.toString('utf8')) : undefined) : lastEvent(text);
    if (last) who.push(`its last event is #${String(last.seq)} ${String(last.type)}, written by ${String(last.by)} at ${String(last.ts)}`);
    else if (fresh.state.kind === 'segmented')
      who.push(`it was created by ${fresh.state.manifest.createdBy ?? 'another command'} at ${fresh.state.manifest.createdAt ?? 'the same time'}`);
    else if (fresh.state.kind === 'none') who.push(this.state.kind === 'none' ? 'it was created and deleted again' : 'the journal was deleted');
    const ours = this.options.lease;
    const takeover = ours && text !== undefined ? findTakeoverOf(text, ours.holder) : undefined;
    const lease = await readS3Lease(this.client, this.where, this.now()).catch(() => undefined);
    if (takeover && lease) who.push(describeTakeoverOf(lease.url, takeover).replace(/^the lease /, "this command's lease "));
    if (ours && lease && ours.id !== undefined && lease.id === ours.id) {
      who.push(
        `this command (pid ${ours.holder.pid}) still holds the lease, so the other writer wrote without it (by hand, a cutover that does not take the S3 lease, or a command whose lease was removed with cutover unlock)`,
      );
    } else if (lease?.holder) who.push(`the lease is ${takeover ? 'now ' : ''}held by ${describeHolder(lease.holder)}`);
    else if (lease) who.push(`the lease ${lease.url} does not say who holds it`);
    else if (takeover) who.push('nobody holds the lease now (the command that took it over has finished)');
    else who.push('nobody holds the lease (was it written by a cutover that does not take the S3 lease, or by hand?)');
    return new JournalError(
      'conflict',
      `cannot ${doing} ${this.location}: someone else changed it since this command read it (${who.join('; ')}); nothing was overwritten`,
      'this command stops here; run it again once the other one has finished (it reads the journal afresh)',
    );
  }
}

function bug(problem: string): JournalError {
  return new JournalError('refused', problem, 'this is a bug in cutover; please report it');
}

function lastEvent(text: string): { seq: unknown; type: unknown; by: unknown; ts: unknown } | undefined {
  const lines = text.split('\n').filter((line) => line !== '');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    try {
      const value = JSON.parse(lines[index] ?? '') as Record<string, unknown>;
      if (typeof value === 'object' && value !== null && 'seq' in value) return { seq: value.seq, type: value.type, by: value.by, ts: value.ts };
    } catch {
      // a torn line: look at the one before
    }
  }
  return undefined;
}
