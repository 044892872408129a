/**
 * An in-memory S3 with the conditional-write semantics cutover relies on, shared by the
 * HTTP endpoint (server.ts, for end-to-end tests) and the aws-sdk-client-mock unit tests:
 *
 * - PutObject `If-None-Match: *` fails with 412 when the key exists (any other value is
 *   501 NotImplemented, as in S3); `If-Match: <etag>` fails with 404 when it does not,
 *   412 when its ETag differs.
 * - A conditional PutObject that races another conditional write of the same key gets 409
 *   ConditionalRequestConflict in S3, and neither is applied by it; here a test arms one with
 *   `conflictNext(bucket, key)` (this model applies requests one at a time, so it never races).
 * - ListObjectsV2: keys in UTF-8 binary order, `prefix`, `start-after`, `max-keys` (1000 at
 *   most) and continuation tokens.
 * - DeleteObject `If-Match` the same way; an unconditional delete of a missing key is 204.
 * - ETags are the quoted MD5 of the body, as S3 gives for single-part, non-KMS objects.
 *
 * Every operation is synchronous, so on one event loop each is atomic, as in S3.
 */
import { createHash } from 'node:crypto';

export interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType?: string;
}

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export type Outcome = { ok: true; status: 200 | 204; object?: StoredObject } | { ok: false; status: number; code: string; message: string };

export function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

const missingKey = (key: string): Outcome => ({ ok: false, status: 404, code: 'NoSuchKey', message: `The specified key does not exist: ${key}` });
const preconditionFailed = (condition: string): Outcome => ({
  ok: false,
  status: 412,
  code: 'PreconditionFailed',
  message: `At least one of the pre-conditions you specified did not hold (${condition})`,
});

/** `"abc"`, `abc` and `W/"abc"` name the same ETag. */
function sameEtag(given: string, etag: string): boolean {
  const bare = (text: string) => text.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return given.split(',').some((part) => part.trim() === '*' || bare(part) === bare(etag));
}

export interface ListOptions {
  prefix?: string;
  startAfter?: string;
  maxKeys?: number;
  continuationToken?: string;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

export type ListOutcome = { ok: true; status: 200; contents: ListedObject[]; truncated: boolean; nextToken?: string } | Extract<Outcome, { ok: false }>;

/** S3 lists keys in UTF-8 binary order. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class S3Model {
  private readonly objects = new Map<string, StoredObject>();
  private readonly armedConflicts = new Map<string, number>();
  readonly buckets: Set<string>;

  constructor(buckets: Iterable<string> = ['journals']) {
    this.buckets = new Set(buckets);
  }

  private id(bucket: string, key: string): string {
    return `${bucket}\0${key}`;
  }

  private noBucket(bucket: string): Outcome | undefined {
    return this.buckets.has(bucket) ? undefined : { ok: false, status: 404, code: 'NoSuchBucket', message: `The specified bucket does not exist: ${bucket}` };
  }

  /** The stored object (tests read and damage objects through this). */
  object(bucket: string, key: string): StoredObject | undefined {
    return this.objects.get(this.id(bucket, key));
  }

  /** Writes directly, without conditions: for tests that set up or damage state. */
  set(bucket: string, key: string, body: Buffer | string): StoredObject {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const object = { body: bytes, etag: etagOf(bytes), lastModified: new Date() };
    this.objects.set(this.id(bucket, key), object);
    return object;
  }

  /** The next `times` conditional PutObjects of this key answer 409 ConditionalRequestConflict and change nothing. */
  conflictNext(bucket: string, key: string, times = 1): void {
    this.armedConflicts.set(this.id(bucket, key), times);
  }

  /** ListObjectsV2 of one bucket. */
  list(bucket: string, options: ListOptions = {}): ListOutcome {
    const wrongBucket = this.noBucket(bucket);
    if (wrongBucket && !wrongBucket.ok) return wrongBucket;
    const prefix = options.prefix ?? '';
    const after = options.continuationToken !== undefined ? Buffer.from(options.continuationToken, 'base64').toString('utf8') : options.startAfter;
    const maxKeys = Math.min(1000, Math.max(0, options.maxKeys ?? 1000));
    const keys = [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}\0`))
      .map((id) => id.slice(bucket.length + 1))
      .filter((key) => key.startsWith(prefix) && (after === undefined || byteCompare(key, after) > 0))
      .sort(byteCompare);
    const page = keys.slice(0, maxKeys);
    const contents = page.map((key) => {
      const object = this.object(bucket, key) as StoredObject;
      return { key, size: object.body.length, etag: object.etag, lastModified: object.lastModified };
    });
    const truncated = keys.length > page.length;
    const last = page.at(-1);
    return {
      ok: true,
      status: 200,
      contents,
      truncated,
      ...(truncated && last !== undefined ? { nextToken: Buffer.from(last, 'utf8').toString('base64') } : {}),
    };
  }

  get(bucket: string, key: string, conditions: Conditions = {}): Outcome {
    const wrongBucket = this.noBucket(bucket);
    if (wrongBucket) return wrongBucket;
    const object = this.object(bucket, key);
    if (!object) return missingKey(key);
    if (conditions.ifMatch !== undefined && !sameEtag(conditions.ifMatch, object.etag)) return preconditionFailed('If-Match');
    if (conditions.ifNoneMatch !== undefined && sameEtag(conditions.ifNoneMatch, object.etag))
      return { ok: false, status: 412, code: 'PreconditionFailed', message: 'Not modified' };
    return { ok: true, status: 200, object };
  }

  put(bucket: string, key: string, body: Buffer, conditions: Conditions = {}, contentType?: string): Outcome {
    const wrongBucket = this.noBucket(bucket);
    if (wrongBucket) return wrongBucket;
    const existing = this.object(bucket, key);
    if (conditions.ifNoneMatch !== undefined && conditions.ifNoneMatch.trim() !== '*')
      return {
        ok: false,
        status: 501,
        code: 'NotImplemented',
        message: 'A header you provided implies functionality that is not implemented (If-None-Match takes only *)',
      };
    const armed = this.armedConflicts.get(this.id(bucket, key)) ?? 0;
    if (armed > 0 && (conditions.ifNoneMatch !== undefined || conditions.ifMatch !== undefined)) {
      this.armedConflicts.set(this.id(bucket, key), armed - 1);
      return {
        ok: false,
        status: 409,
        code: 'ConditionalRequestConflict',
        message: 'A conflicting conditional operation is currently in progress against this resource. Please try again.',
      };
    }
    if (conditions.ifNoneMatch !== undefined) {
      if (existing) return preconditionFailed('If-None-Match');
    }
    if (conditions.ifMatch !== undefined) {
      if (!existing) return missingKey(key);
      if (!sameEtag(conditions.ifMatch, existing.etag)) return preconditionFailed('If-Match');
    }
    const object: StoredObject = { body: Buffer.from(body), etag: etagOf(body), lastModified: new Date(), ...(contentType ? { contentType } : {}) };
    this.objects.set(this.id(bucket, key), object);
    return { ok: true, status: 200, object };
  }

  delete(bucket: string, key: string, conditions: Conditions = {}): Outcome {
    const wrongBucket = this.noBucket(bucket);
    if (wrongBucket) return wrongBucket;
    const existing = this.object(bucket, key);
    if (conditions.ifMatch !== undefined) {
      if (!existing) return missingKey(key);
      if (!sameEtag(conditions.ifMatch, existing.etag)) return preconditionFailed('If-Match');
    }
    this.objects.delete(this.id(bucket, key));
    return { ok: true, status: 204 };
  }
}
