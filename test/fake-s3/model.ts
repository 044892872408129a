/**
 * An in-memory S3 with the conditional-write semantics cutover relies on, shared by the
 * HTTP endpoint (server.ts, for end-to-end tests) and the aws-sdk-client-mock unit tests:
 *
 * - PutObject `If-None-Match: *` fails with 412 when the key exists;
 *   `If-Match: <etag>` fails with 404 when it does not, 412 when its ETag differs.
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
const preconditionFailed = (condition: string): Outcome => ({ ok: false, status: 412, code: 'PreconditionFailed', message: `At least one of the pre-conditions you specified did not hold (${condition})` });

/** `"abc"`, `abc` and `W/"abc"` name the same ETag. */
function sameEtag(given: string, etag: string): boolean {
  const bare = (text: string) => text.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return given.split(',').some((part) => part.trim() === '*' || bare(part) === bare(etag));
}

export class S3Model {
  private readonly objects = new Map<string, StoredObject>();
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

  get(bucket: string, key: string, conditions: Conditions = {}): Outcome {
    const wrongBucket = this.noBucket(bucket);
    if (wrongBucket) return wrongBucket;
    const object = this.object(bucket, key);
    if (!object) return missingKey(key);
    if (conditions.ifMatch !== undefined && !sameEtag(conditions.ifMatch, object.etag)) return preconditionFailed('If-Match');
    if (conditions.ifNoneMatch !== undefined && sameEtag(conditions.ifNoneMatch, object.etag)) return { ok: false, status: 412, code: 'PreconditionFailed', message: 'Not modified' };
    return { ok: true, status: 200, object };
  }

  put(bucket: string, key: string, body: Buffer, conditions: Conditions = {}, contentType?: string): Outcome {
    const wrongBucket = this.noBucket(bucket);
    if (wrongBucket) return wrongBucket;
    const existing = this.object(bucket, key);
    if (conditions.ifNoneMatch !== undefined) {
      if (conditions.ifNoneMatch.trim() !== '*') return { ok: false, status: 412, code: 'NotImplemented', message: 'If-None-Match takes only *' };
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
