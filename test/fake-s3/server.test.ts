/**
 * The fake S3 endpoint answers the real SDK as S3 does for what the journal relies on:
 * conditional PutObject (412 PreconditionFailed, 409 ConditionalRequestConflict, 501 for an
 * If-None-Match other than *) and ListObjectsV2 with StartAfter and continuation tokens.
 */
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/aws/clients.js';
import { listKeysAfter } from '../../src/journal/s3-io.js';
import type { FakeS3 } from './server.js';
import { startFakeS3 } from './server.js';

let s3: FakeS3;
let client: S3Client;
beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  s3 = await startFakeS3({ buckets: ['journals'] });
  client = new S3Client({
    ...clientConfig({ region: 'us-east-1', endpointUrl: s3.url, maxAttempts: 1 }),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  await s3?.close();
});

const put = (Key: string, extra: { IfNoneMatch?: string; IfMatch?: string } = {}) =>
  client.send(new PutObjectCommand({ Bucket: 'journals', Key, Body: `body of ${Key}`, ...extra }));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as { name: string; $metadata: { httpStatusCode?: number } },
  );

describe('fake S3 through the real SDK', () => {
  it('If-None-Match: * creates once; then 412 PreconditionFailed; any other value 501', async () => {
    await put('cond/a', { IfNoneMatch: '*' });
    const second = await failure(put('cond/a', { IfNoneMatch: '*' }));
    expect(second).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const other = await failure(put('cond/b', { IfNoneMatch: '"abc"' }));
    expect(other?.$metadata.httpStatusCode).toBe(501);
    expect(s3.model.object('journals', 'cond/b')).toBeUndefined();
  });

  it('a conditional write racing another answers 409 ConditionalRequestConflict and changes nothing; a retry succeeds', async () => {
    s3.model.conflictNext('journals', 'cond/c');
    const raced = await failure(put('cond/c', { IfNoneMatch: '*' }));
    expect(raced).toMatchObject({ name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } });
    expect(s3.model.object('journals', 'cond/c')).toBeUndefined();
    await put('cond/c', { IfNoneMatch: '*' });
    expect(s3.model.object('journals', 'cond/c')?.body.toString()).toBe('body of cond/c');
  });

  it('ListObjectsV2 lists in key order after StartAfter, page by page', async () => {
    for (let n = 1; n <= 12; n += 1) s3.model.set('journals', `list/${String(n).padStart(3, '0')}`, 'x');
    s3.model.set('journals', 'listing-other', 'x');
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'journals', Prefix: 'list/', StartAfter: 'list/010', MaxKeys: 1 }));
    expect(page.Contents?.map((c) => c.Key)).toEqual(['list/011']);
    expect(page.IsTruncated).toBe(true);
    const next = await client.send(
      new ListObjectsV2Command({ Bucket: 'journals', Prefix: 'list/', ContinuationToken: page.NextContinuationToken, MaxKeys: 5 }),
    );
    expect(next.Contents?.map((c) => c.Key)).toEqual(['list/012']);
    expect(next.IsTruncated).toBe(false);
    expect(await listKeysAfter(client, 'journals', 'list/', 'list/009')).toEqual(['list/010', 'list/011', 'list/012']);
    expect((await listKeysAfter(client, 'journals', 'list/', undefined)).length).toBe(12);
  });
});
