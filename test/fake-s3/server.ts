/**
 * A small S3-compatible endpoint for end-to-end tests and benchmarks: GetObject, HeadObject,
 * PutObject, DeleteObject and ListObjectsV2, path-style (`/bucket/key`), with the If-Match /
 * If-None-Match semantics of model.ts (412, 409 ConditionalRequestConflict, 501). The CLI talks to it with its real S3 client through `--endpoint-url`.
 *
 *   const s3 = await startFakeS3({ buckets: ['journals'] });
 *   // run the CLI with --journal s3://journals/app.jsonl --endpoint-url s3.url, then:
 *   s3.model.object('journals', 'app.jsonl')?.body
 *   await s3.close();
 *
 * Signatures and credentials are ignored. `dropResponse` simulates a network that drops
 * after S3 applied a write: the write is kept and the connection is cut before the answer.
 * `stall` holds a request before S3 looks at it and never answers it (a test then kills the
 * client in that state). Each request records the body bytes it carried and returned.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Conditions, Outcome } from './model.js';
import { S3Model } from './model.js';

export interface FakeS3Request {
  method: string;
  bucket: string;
  key: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  status: number;
  /** The connection was cut instead of answering (dropResponse). */
  dropped?: boolean;
  /** ListObjectsV2 (GET on the bucket with list-type=2). */
  list?: boolean;
  /** Body bytes received (PUT) and sent (GET, list). */
  bytesIn: number;
  /** What a PUT carried. */
  body?: Buffer;
  /** Held by `stall`: never applied, never answered. */
  stalled?: boolean;
  bytesOut: number;
}

export interface FakeS3Options {
  buckets?: string[];
}

export interface FakeS3 {
  url: string;
  model: S3Model;
  requests: FakeS3Request[];
  /** Called after a write was applied; true cuts the connection instead of answering. */
  dropResponse?: (request: FakeS3Request) => boolean;
  /** Called before a request is applied; true leaves it unapplied and unanswered until close(). */
  stall?: (request: FakeS3Request) => boolean;
  close(): Promise<void>;
}

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const model = new S3Model(options.buckets ?? ['journals']);
  const fake: FakeS3 = { url: '', model, requests: [], close: async () => undefined };
  const server = createServer((req, res) => {
    handle(fake, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, { ok: false, status: 500, code: 'InternalError', message: String(error) }, req.method === 'HEAD');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

async function handle(fake: FakeS3, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = decodeBody(req, await readBody(req));
  const url = new URL(req.url ?? '/', 'http://fake');
  const [bucketPart = '', ...keyParts] = url.pathname.slice(1).split('/');
  const bucket = decodeURIComponent(bucketPart);
  const key = keyParts.map((part) => decodeURIComponent(part)).join('/');
  const conditions: Conditions = {
    ...(typeof req.headers['if-match'] === 'string' ? { ifMatch: req.headers['if-match'] } : {}),
    ...(typeof req.headers['if-none-match'] === 'string' ? { ifNoneMatch: req.headers['if-none-match'] } : {}),
  };
  const method = req.method ?? 'GET';
  const record: FakeS3Request = { method, bucket, key, ...conditions, status: 0, bytesIn: body.length, bytesOut: 0, ...(method === 'PUT' ? { body } : {}) };
  fake.requests.push(record);
  if (key === '' && method === 'GET' && url.searchParams.get('list-type') === '2') {
    record.list = true;
    if (fake.stall?.(record)) {
      record.stalled = true;
      return;
    }
    return sendList(fake, record, url.searchParams, res);
  }
  if (
    key === '' ||
    url.search
      .replace(/^\?/, '')
      .split('&')
      .some((param) => param !== '' && !param.startsWith('x-id='))
  ) {
    record.status = 501;
    return sendError(
      res,
      { ok: false, status: 501, code: 'NotImplemented', message: `the fake S3 does not implement ${method} ${url.pathname}${url.search}` },
      method === 'HEAD',
    );
  }

  if (fake.stall?.(record)) {
    record.stalled = true;
    return;
  }
  let outcome: Outcome;
  switch (method) {
    case 'GET':
    case 'HEAD':
      outcome = fake.model.get(bucket, key, conditions);
      break;
    case 'PUT':
      if (req.headers['x-amz-copy-source']) {
        outcome = { ok: false, status: 501, code: 'NotImplemented', message: 'CopyObject is not implemented' };
        break;
      }
      outcome = fake.model.put(bucket, key, body, conditions, req.headers['content-type']);
      break;
    case 'DELETE':
      outcome = fake.model.delete(bucket, key, conditions);
      break;
    default:
      outcome = { ok: false, status: 501, code: 'NotImplemented', message: `${method} is not implemented` };
  }
  record.status = outcome.status;
  if (!outcome.ok) return sendError(res, outcome, method === 'HEAD');

  if ((method === 'PUT' || method === 'DELETE') && fake.dropResponse?.(record)) {
    record.dropped = true;
    req.socket.destroy();
    return;
  }
  const object = outcome.object;
  if (method === 'DELETE') {
    res.writeHead(204).end();
    return;
  }
  if (method === 'PUT') {
    res.writeHead(200, { ETag: object?.etag ?? '', 'Content-Length': '0' }).end();
    return;
  }
  if (!object) throw new Error('a read without an object');
  res.writeHead(200, {
    ETag: object.etag,
    'Last-Modified': object.lastModified.toUTCString(),
    'Content-Length': String(object.body.length),
    'Content-Type': object.contentType ?? 'binary/octet-stream',
  });
  record.bytesOut = method === 'HEAD' ? 0 : object.body.length;
  res.end(method === 'HEAD' ? undefined : object.body);
}

function sendList(fake: FakeS3, record: FakeS3Request, params: URLSearchParams, res: ServerResponse): void {
  const prefix = params.get('prefix') ?? '';
  const startAfter = params.get('start-after') ?? undefined;
  const token = params.get('continuation-token') ?? undefined;
  const maxKeys = params.has('max-keys') ? Number(params.get('max-keys')) : 1000;
  const outcome = fake.model.list(record.bucket, {
    prefix,
    ...(startAfter !== undefined ? { startAfter } : {}),
    ...(token !== undefined ? { continuationToken: token } : {}),
    maxKeys,
  });
  record.status = outcome.status;
  if (!outcome.ok) return sendError(res, outcome, false);
  const urlEncoded = params.get('encoding-type') === 'url';
  const name = (key: string) => escapeXml(urlEncoded ? encodeURIComponent(key).replace(/%2F/g, '/') : key);
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<Name>${escapeXml(record.bucket)}</Name><Prefix>${name(prefix)}</Prefix><KeyCount>${outcome.contents.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
    `${urlEncoded ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${outcome.truncated}</IsTruncated>` +
    outcome.contents
      .map(
        (object) =>
          `<Contents><Key>${name(object.key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('') +
    `${token !== undefined ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : ''}${outcome.nextToken !== undefined ? `<NextContinuationToken>${escapeXml(outcome.nextToken)}</NextContinuationToken>` : ''}` +
    `${startAfter !== undefined ? `<StartAfter>${name(startAfter)}</StartAfter>` : ''}</ListBucketResult>`;
  record.bytesOut = Buffer.byteLength(xml);
  res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(xml)) });
  res.end(xml);
}

function sendError(res: ServerResponse, outcome: Extract<Outcome, { ok: false }>, head: boolean): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${outcome.code}</Code><Message>${escapeXml(outcome.message)}</Message><RequestId>fake-s3</RequestId></Error>`;
  res.writeHead(outcome.status, { 'Content-Type': 'application/xml', 'Content-Length': head ? '0' : String(Buffer.byteLength(xml)) });
  res.end(head ? undefined : xml);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `Content-Encoding: aws-chunked` (streaming uploads with trailing checksums): `<hex size>[;ext]\r\n<data>\r\n … 0\r\n<trailers>`. */
function decodeBody(req: IncomingMessage, raw: Buffer): Buffer {
  const encoding = String(req.headers['content-encoding'] ?? '');
  const sha = String(req.headers['x-amz-content-sha256'] ?? '');
  if (!encoding.includes('aws-chunked') && !sha.startsWith('STREAMING-')) return raw;
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < raw.length) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
