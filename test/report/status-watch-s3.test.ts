/**
 * `cutover status --watch` on an S3 journal: each poll lists the segments after the last one
 * it read and fetches only those, never the journal again (the real S3 client against the
 * local endpoint of test/fake-s3).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchStatus } from '../../src/cli/handlers/status-watch.js';
import type { Output } from '../../src/cli/output.js';
import { clientConfig } from '../../src/aws/clients.js';
import { openJournal } from '../../src/journal/journal.js';
import { segmentNumberOf } from '../../src/journal/s3-layout.js';
import { S3JournalStore } from '../../src/journal/s3-store.js';
import { systemClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import type { FakeS3 } from '../fake-s3/server.js';
import { startFakeS3 } from '../fake-s3/server.js';
import { ALICE, inRunbookDir, runStarted, shellStep, stepStarted, stepSucceeded } from './fixtures.js';

const RUNBOOK = `cutover: 1
name: web
steps:
  - id: a
    title: Step a
    run: "true"
    rollback: "true"
`;

const testDir = inRunbookDir('cutover-watch-s3-', RUNBOOK);
const KEY = 'watch/web.journal.jsonl';
let s3: FakeS3;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: ['journals'] });
  for (const [name, value] of Object.entries({
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  })) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(async () => {
  await s3?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function until(description: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('status --watch on an S3 journal', () => {
  it('each poll fetches only the segments written since the previous one', async () => {
    testDir();
    const client = new S3Client({
      ...clientConfig({ region: 'us-east-1', endpointUrl: s3.url }),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const journal = await openJournal(new S3JournalStore(client, { bucket: 'journals', key: KEY }), {
      runbook: { name: 'web', file: 'web.yaml' },
      identity: ALICE,
      masker: createMasker([]),
      clock: systemClock,
    });
    await journal.append(runStarted());
    for (let i = 0; i < 30; i += 1) await journal.append({ type: 'decision', step: 'a', data: { prompt: 'watch', choice: `run ${i}` } });
    await journal.append(stepStarted(shellStep('a')));

    const chunks: string[] = [];
    const output: Output = { out: (text) => chunks.push(text), err: (text) => chunks.push(`ERR ${text}`), color: false };
    const stop = new AbortController();
    const watching = watchStatus('web.yaml', { journal: `s3://journals/${KEY}`, endpointUrl: s3.url }, output, {
      intervalMs: 20,
      tty: false,
      signal: stop.signal,
    });
    await until('the first block', () => chunks.some((c) => /^a \*?\s+running/m.test(c)));
    const afterFirst = s3.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await journal.append(stepSucceeded('a', 10));
    await until('the block for the success', () => chunks.some((c) => /^a \*?\s+succeeded/m.test(c)));
    stop.abort();
    await watching;

    const polls = s3.requests.slice(afterFirst);
    const journalGets = polls.filter((r) => r.method === 'GET' && r.list !== true && !r.key.endsWith('.lock'));
    // The only journal object fetched after the first read is the new segment 34 (journal.created, run, 30 decisions, started: 1-33).
    expect(journalGets.map((r) => segmentNumberOf(KEY, r.key))).toEqual([34]);
    expect(polls.filter((r) => r.list === true).length).toBeGreaterThan(1);
    // The watch wrote nothing: the only write is the writer's segment 34.
    expect(polls.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${segmentNumberOf(KEY, r.key)}`)).toEqual(['PUT 34']);
  });
});
