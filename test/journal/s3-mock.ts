/**
 * aws-sdk-client-mock in front of the in-memory S3 of test/fake-s3/model.ts, so the
 * conditional writes behave as in S3 (412 on a stale If-Match, 404 on a missing key…).
 * aws-sdk-client-mock replaces send(): the SDK's retries and deserialisers do not run, so
 * errors are made to look like the SDK's (name, $metadata.httpStatusCode).
 *
 * Hooks let a test interleave two writers (`before` can wait on a gate) or lose the answer
 * to a write that S3 applied (`after` can throw).
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Outcome } from '../fake-s3/model.js';
import { S3Model } from '../fake-s3/model.js';

export type Operation = 'GetObject' | 'PutObject' | 'DeleteObject' | 'ListObjectsV2';

export interface S3Input {
  Bucket: string;
  Key: string;
  Body?: Uint8Array | string;
  IfMatch?: string;
  IfNoneMatch?: string;
  Prefix?: string;
  StartAfter?: string;
  MaxKeys?: number;
  ContinuationToken?: string;
}

export interface Hooks {
  /** Before S3 looks at the request: may wait, or throw (a request that never reached S3). */
  before?: (operation: Operation, input: S3Input) => Promise<void> | void;
  /** After S3 applied it: may throw (the answer was lost). */
  after?: (operation: Operation, input: S3Input, outcome: Outcome) => Promise<void> | void;
}

export function sdkError(status: number, name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts: 1 } });
}

/** A network failure: no HTTP status at all. */
export function networkError(): Error {
  return Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
}

// As the CLI does (src/aws/clients.ts): the SDK's warning about Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const s3Mock = mockClient(S3Client);

/** Resets the mock and routes it to a fresh model; returns the model and a client to pass around. */
export function installS3(hooks: Hooks = {}, model = new S3Model(['journals'])): { model: S3Model; client: S3Client; hooks: Hooks } {
  s3Mock.reset();
  const run = async (operation: Operation, input: S3Input, apply: () => Outcome, answer: (outcome: Extract<Outcome, { ok: true }>) => unknown) => {
    await hooks.before?.(operation, input);
    const outcome = apply();
    await hooks.after?.(operation, input, outcome);
    if (!outcome.ok) throw sdkError(outcome.status, outcome.code, outcome.message);
    return answer(outcome);
  };
  const conditions = (input: S3Input) => ({
    ...(input.IfMatch !== undefined ? { ifMatch: input.IfMatch } : {}),
    ...(input.IfNoneMatch !== undefined ? { ifNoneMatch: input.IfNoneMatch } : {}),
  });
  s3Mock.on(GetObjectCommand).callsFake((input: S3Input) =>
    run(
      'GetObject',
      input,
      () => model.get(input.Bucket, input.Key),
      ({ object }) => {
        const body = Buffer.from(object?.body ?? Buffer.alloc(0));
        return { ETag: object?.etag, ContentLength: body.length, Body: { transformToByteArray: async () => new Uint8Array(body) } };
      },
    ),
  );
  s3Mock.on(PutObjectCommand).callsFake((input: S3Input) =>
    run(
      'PutObject',
      input,
      () => model.put(input.Bucket, input.Key, Buffer.from(input.Body ?? ''), conditions(input)),
      ({ object }) => ({ ETag: object?.etag }),
    ),
  );
  s3Mock.on(ListObjectsV2Command).callsFake(async (input: S3Input) => {
    await hooks.before?.('ListObjectsV2', input);
    const outcome = model.list(input.Bucket, {
      ...(input.Prefix !== undefined ? { prefix: input.Prefix } : {}),
      ...(input.StartAfter !== undefined ? { startAfter: input.StartAfter } : {}),
      ...(input.MaxKeys !== undefined ? { maxKeys: input.MaxKeys } : {}),
      ...(input.ContinuationToken !== undefined ? { continuationToken: input.ContinuationToken } : {}),
    });
    if (!outcome.ok) throw sdkError(outcome.status, outcome.code, outcome.message);
    return {
      Contents: outcome.contents.map((object) => ({ Key: object.key, Size: object.size, ETag: object.etag, LastModified: object.lastModified })),
      KeyCount: outcome.contents.length,
      IsTruncated: outcome.truncated,
      ...(outcome.nextToken !== undefined ? { NextContinuationToken: outcome.nextToken } : {}),
    };
  });
  s3Mock.on(DeleteObjectCommand).callsFake((input: S3Input) =>
    run(
      'DeleteObject',
      input,
      () => model.delete(input.Bucket, input.Key, conditions(input)),
      () => ({}),
    ),
  );
  return { model, client: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), hooks };
}

/** The PutObject inputs sent so far, for assertions on their conditions. */
export function puts(): S3Input[] {
  return s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input as S3Input);
}

/** Every S3 call sent so far, by operation name ('GetObject', 'PutObject', …), for counting requests. */
export function operations(): string[] {
  return s3Mock.calls().map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''));
}

export function deletes(): S3Input[] {
  return s3Mock.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input as S3Input);
}

/** Resolves once `count` callers have arrived: makes two writers read before either writes. */
export function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived >= count) open();
    return opened;
  };
}
