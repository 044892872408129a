/**
 * The few S3 calls the journal and its lease make, and how their errors are told apart.
 * Loaded only for s3:// journals (the CLI imports the S3 modules lazily).
 *
 * Conditional writes: PutObject with `IfNoneMatch: '*'` (create) or `IfMatch: <etag>`
 * (replace exactly the version that was read), DeleteObject with `IfMatch`. A 412 means the
 * object is not the one the condition names; S3 never applies a write that fails its condition.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeAwsError } from '../aws/errors.js';
import { JournalError } from './errors.js';
import type { S3Location } from './s3-url.js';

export interface S3Object {
  body: Buffer;
  /** As S3 returns it, with its quotes: what IfMatch takes. */
  etag: string;
}

export type WriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

/** The object, or undefined when there is none. Throws the SDK's error otherwise. */
export async function getObject(client: S3Client, where: S3Location): Promise<S3Object | undefined> {
  let response;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
  const body = await bodyBytes(response.Body);
  if (!response.ETag)
    throw new Error(`S3 returned s3://${where.bucket}/${where.key} without an ETag, so it cannot be written conditionally (is the endpoint S3-compatible?)`);
  return { body, etag: response.ETag };
}

/** Reading again after a failed write, to learn what is there: a read that fails too says so instead of throwing. */
export async function tryGetObject(client: S3Client, where: S3Location): Promise<{ ok: true; object: S3Object | undefined } | { ok: false; error: unknown }> {
  try {
    return { ok: true, object: await getObject(client, where) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Returns the new ETag. */
export async function putObject(client: S3Client, where: S3Location, body: Buffer, condition: WriteCondition, contentType: string): Promise<string> {
  const response = await client.send(
    new PutObjectCommand({
      Bucket: where.bucket,
      Key: where.key,
      Body: body,
      ContentType: contentType,
      ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: condition.ifNoneMatch }),
    }),
  );
  if (response.ETag) return response.ETag;
  // Some S3-compatible servers leave it out: read it back, and accept it only if the object is ours.
  const check = await getObject(client, where);
  if (check && check.body.equals(body)) return check.etag;
  throw new Error(`S3 returned no ETag for s3://${where.bucket}/${where.key} and the object changed right after the write`);
}

/**
 * The keys under `prefix` that sort after `startAfter` (ListObjectsV2, UTF-8 binary order),
 * following continuation tokens. Needs s3:ListBucket. Its cost is the number of keys after
 * `startAfter`, not the number under the prefix.
 */
export async function listKeysAfter(client: S3Client, bucket: string, prefix: string, startAfter: string | undefined): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const response = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token !== undefined ? { ContinuationToken: token } : startAfter !== undefined ? { StartAfter: startAfter } : {}),
      }),
    );
    for (const object of response.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = response.IsTruncated ? response.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

export async function deleteObject(client: S3Client, where: S3Location, ifMatch: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key, IfMatch: ifMatch }));
}

interface SdkErrorLike {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkErrorLike | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  const e = error as SdkErrorLike | undefined;
  return e?.name ?? e?.Code;
}

/** 412: the object is not the version the condition named (or exists, for IfNoneMatch). */
export function isPreconditionFailed(error: unknown): boolean {
  return statusOf(error) === 412 || nameOf(error) === 'PreconditionFailed';
}

/** 404 for the object (not for the bucket: a missing bucket is a configuration error). */
export function isMissingObject(error: unknown): boolean {
  const name = nameOf(error);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

/** 409 ConditionalRequestConflict: a concurrent conditional write; S3 applied neither and asks to read and retry. */
export function isConditionalConflict(error: unknown): boolean {
  return statusOf(error) === 409 || nameOf(error) === 'ConditionalRequestConflict';
}

/** A JournalError for an S3 call that failed for a reason other than a condition. */
export function s3Failure(error: unknown, doing: string, url: string): JournalError {
  let described = describeAwsError(error, `cannot ${doing} ${url}`).message;
  // S3 answers 403, not 404, for an object that does not exist when s3:ListBucket is not granted;
  // cutover never takes "access denied" for "no journal yet".
  if (nameOf(error) === 'AccessDenied' || statusOf(error) === 403)
    described +=
      ' (S3 also answers AccessDenied for an object that does not exist yet when s3:ListBucket on the bucket is not granted: see docs/s3-journal.md)';
  const advice = /^(write|repair)/.test(doing)
    ? 'fix the cause and run the command again; the journal in S3 is intact up to its last acknowledged event'
    : 'fix the cause and run the command again';
  return new JournalError('io', described, advice, undefined, undefined, { cause: error });
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const stream = body as { transformToByteArray?: () => Promise<Uint8Array> };
  if (typeof stream.transformToByteArray === 'function') {
    const bytes = await stream.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  throw new Error('S3 returned a body cutover cannot read');
}
