/**
 * A journal in one S3 object. S3 cannot append, so every append writes the whole object
 * back, on the condition that it is still the version this process read or wrote last
 * (`IfMatch: <etag>`; the first write `IfNoneMatch: '*'`). If anyone else wrote in between,
 * S3 answers 412 and nothing is overwritten: the append fails with an error that names the
 * other writer. A PutObject that S3 acknowledged is durable, so `sync` means nothing here.
 *
 * When the answer to a PutObject is lost (the network dropped, or the SDK retried a write
 * that had landed and got 412 for its own write), the object is read again: if it holds
 * exactly what was written, the write happened; otherwise it did not, and the append fails.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { JournalError, describeHolder } from './errors.js';
import type { LockHolder } from './errors.js';
import { isConditionalConflict, isMissingObject, isPreconditionFailed, getObject, putObject, s3Failure, tryGetObject } from './s3-io.js';
import { describeTakeoverOf, findTakeoverOf, readS3Lease } from './s3-lease.js';
import type { S3Object } from './s3-io.js';
import type { S3Location } from './s3-url.js';
import { formatS3Url } from './s3-url.js';
import type { JournalStore } from './store.js';

export interface S3JournalStoreOptions {
  /** Called before every write; throws when this process may no longer write (its lease was lost). */
  beforeWrite?: () => void;
  /** For the lease's expiry in conflict messages. */
  now?: () => Date;
  /** The lease this command holds, so a conflict message never names this command as the other writer. */
  lease?: { id?: string; holder: LockHolder };
}

const CONTENT_TYPE = 'application/x-ndjson';

export class S3JournalStore implements JournalStore {
  readonly location: string;
  /** What this process last read or wrote, and its ETag; undefined before the journal exists. */
  private content: Buffer | undefined;
  private etag: string | undefined;
  private loaded = false;

  constructor(
    private readonly client: S3Client,
    private readonly where: S3Location,
    private readonly options: S3JournalStoreOptions = {},
  ) {
    this.location = formatS3Url(where);
  }

  async readText(): Promise<string | undefined> {
    const object = await getObject(this.client, this.where).catch((error: unknown) => {
      throw s3Failure(error, 'read the journal', this.location);
    });
    this.remember(object);
    return object?.body.toString('utf8');
  }

  async appendLine(line: string): Promise<void> {
    if (line.includes('\n')) throw new Error('a journal line cannot contain a newline');
    if (!this.loaded) await this.readText();
    await this.write(Buffer.concat([this.content ?? Buffer.alloc(0), Buffer.from(`${line}\n`, 'utf8')]), 'write the journal');
  }

  async truncate(length: number): Promise<void> {
    if (!this.loaded) await this.readText();
    if (!this.content) throw new JournalError('io', `cannot repair ${this.location}: it does not exist`, 'run the command again');
    await this.write(this.content.subarray(0, length), 'repair the journal');
  }

  private remember(object: S3Object | undefined): void {
    this.loaded = true;
    this.content = object?.body;
    this.etag = object?.etag;
  }

  private async write(body: Buffer, doing: string): Promise<void> {
    this.options.beforeWrite?.();
    const expected = this.etag;
    // 409 ConditionalRequestConflict: S3 applied neither of two racing writes and asks for a retry.
    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      try {
        const etag = await putObject(this.client, this.where, body, expected === undefined ? { ifNoneMatch: '*' } : { ifMatch: expected }, CONTENT_TYPE);
        this.remember({ body, etag });
        return;
      } catch (error) {
        failure = error;
      }
      const seen = await tryGetObject(this.client, this.where);
      if (seen.ok && seen.object?.body.equals(body)) {
        this.remember(seen.object); // it landed; only the answer was lost
        return;
      }
      const conditional = isPreconditionFailed(failure) || isMissingObject(failure) || isConditionalConflict(failure);
      if (isConditionalConflict(failure) && seen.ok && seen.object?.etag === expected && attempt < 3) continue;
      if (conditional && seen.ok) throw await this.conflict(seen.object, doing);
      throw s3Failure(conditional && !seen.ok ? seen.error : failure, doing, this.location);
    }
  }

  /** Someone else wrote (or deleted) the journal since this process read it: say who, overwrite nothing. */
  private async conflict(current: S3Object | undefined, doing: string): Promise<JournalError> {
    const who: string[] = [];
    if (!current) {
      who.push(this.content ? 'the journal was deleted' : 'it was created and deleted again');
    } else {
      const last = lastEvent(current.body.toString('utf8'));
      if (last) who.push(`its last event is #${last.seq} ${last.type}, written by ${last.by} at ${last.ts}`);
    }
    const ours = this.options.lease;
    const takeover = ours && current ? findTakeoverOf(current.body.toString('utf8'), ours.holder) : undefined;
    const lease = await readS3Lease(this.client, this.where, this.options.now?.() ?? new Date()).catch(() => undefined);
    if (takeover && lease) who.push(describeTakeoverOf(lease.url, takeover).replace(/^the lease /, "this command's lease "));
    if (ours && lease && ours.id !== undefined && lease.id === ours.id) {
      who.push(`this command (pid ${ours.holder.pid}) still holds the lease, so the other writer wrote without it (by hand, a cutover that does not take the S3 lease, or a command whose lease was removed with cutover unlock)`);
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

function lastEvent(text: string): { seq: unknown; type: unknown; by: unknown; ts: unknown } | undefined {
  const lines = text.split('\n').filter((line) => line !== '');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    try {
      const value = JSON.parse(lines[index] ?? '') as Record<string, unknown>;
      if (typeof value === 'object' && value !== null) return { seq: value.seq, type: value.type, by: value.by, ts: value.ts };
    } catch {
      // a torn line: look at the one before
    }
  }
  return undefined;
}
