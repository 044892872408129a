#!/usr/bin/env node
/**
 * S3 journal and plan benchmarks (run by `npm run bench` after bench/executor.mjs), against
 * the local endpoints of the tests (test/fake-s3, test/fake-aws; compiled here with esbuild)
 * and the real SDK clients:
 * - S3 append latency with 100 and with 10,000 events in the journal: ratio of the medians
 *   <= 1.3; bytes uploaded per append (constant: at 10,000 events <= 1.1x those at 100);
 *   a compaction (every 100 appends) is reported, with what it adds per append on average;
 * - `cutover status` of a 10,000-event S3 journal, whole process (< 1500 ms, <= 5 S3
 *   requests); a reader's first read and its read after 10 more events (<= 11 requests,
 *   only the new segments' bytes);
 * - the live reads of `plan` for 200 traffic steps over 20 targets (20 ms per AWS answer):
 *   exactly 20 reads, time <= 0.5x that of one read per target done sequentially.
 * Exits 1 on a missed budget. Options: --runs N (default 50 appends per size).
 */
import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'cutover');
const runsFlag = process.argv.indexOf('--runs');
const APPENDS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 50;
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-s3-'));
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);

/** The test endpoints are TypeScript: bundle them once into the scratch directory. */
async function loadFakes() {
  const { build } = await import('esbuild');
  const entries = { 'fake-s3': 'test/fake-s3/server.ts', 'fake-aws': 'test/fake-aws/server.ts' };
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, join(ROOT, path)])),
    outdir: dir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  // Bare imports (the SDK's types, at most) resolve from the project.
  return { s3: await import(pathToFileURL(join(dir, 'fake-s3.mjs')).href), aws: await import(pathToFileURL(join(dir, 'fake-aws.mjs')).href) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const results = [];
const record = (name, value, budget, pass) => results.push({ name, value, budget, pass });

/** The lines of a valid journal of `events` events (journal.created first), as the writer would have written them. */
async function journalLines(events, runbook) {
  const { hashLine, serializeEvent } = await dist('journal/line.js');
  const lines = [];
  let prev = null;
  for (let seq = 1; seq <= events; seq++) {
    const base = { v: 1, seq, ts: '2026-01-01T00:00:00.000Z', by: 'bench@bench', prev };
    const event =
      seq === 1
        ? { ...base, type: 'journal.created', data: { runbook, file: `${runbook}.yaml` } }
        : { ...base, type: 'decision', step: `s${(seq % 3) + 1}`, data: { prompt: 'bench', choice: 'run' } };
    const line = serializeEvent(event);
    lines.push(`${line}\n`);
    prev = hashLine(line);
  }
  return lines;
}

/** A segmented journal as cutover leaves it: one segment per event, a snapshot every 100, the manifest at the newest. */
async function seedJournal(model, key, events, runbook) {
  const { encodeManifest, newManifest, segmentKey, snapshotKey } = await dist('journal/s3-layout.js');
  const lines = await journalLines(events, runbook);
  lines.forEach((line, index) => model.set('journals', segmentKey(key, index + 1), line));
  const snapshot = Math.floor(events / 100) * 100;
  if (snapshot > 0) model.set('journals', snapshotKey(key, snapshot), lines.slice(0, snapshot).join(''));
  model.set('journals', key, encodeManifest(newManifest(`bench-${key}`, '2026-01-01T00:00:00.000Z', 'bench@bench', snapshot > 0 ? snapshot : null, key)));
}

async function appendBenchmarks(fake, client) {
  const [{ S3JournalStore }, { openJournal }, { createMasker }, { fakeClock }] = await Promise.all([
    dist('journal/s3-store.js'),
    dist('journal/journal.js'),
    dist('support/mask.js'),
    dist('support/clock.js'),
  ]);
  const options = {
    runbook: { name: 'bench', file: 'bench.yaml' },
    identity: { user: 'bench', host: 'bench', pid: 1 },
    masker: createMasker([]),
    clock: fakeClock(new Date('2026-01-01T00:00:00Z')),
  };
  const open = async (key) => openJournal(new S3JournalStore(client, { bucket: 'journals', key }), options);
  await seedJournal(fake.model, 'bench/small.jsonl', 100, 'bench');
  await seedJournal(fake.model, 'bench/big.jsonl', 10_000, 'bench');
  const small = await open('bench/small.jsonl');
  const big = await open('bench/big.jsonl');
  const event = (i) => ({ type: 'decision', step: 's1', data: { prompt: 'bench', choice: `run ${i % 10}` } });
  // Warm up the client's connections, then alternate so that noise hits both alike.
  for (let i = 0; i < 5; i++) {
    await small.append(event(i));
    await big.append(event(i));
  }
  const times = { small: [], big: [] };
  const bytes = { small: 0, big: 0 };
  for (let i = 0; i < APPENDS; i++) {
    for (const [name, journal] of [
      ['small', small],
      ['big', big],
    ]) {
      const before = fake.requests.length;
      const start = now();
      await journal.append(event(i));
      times[name].push(now() - start);
      bytes[name] += fake.requests.slice(before).reduce((sum, r) => sum + (r.method === 'PUT' ? r.bytesIn : 0), 0);
    }
  }
  const [smallMs, bigMs] = [median(times.small), median(times.big)];
  record(`S3 append, 100 events (median ms)`, smallMs.toFixed(2), 'information', true);
  record(`S3 append, 10,000 events (median ms)`, bigMs.toFixed(2), 'information', true);
  record('S3 append latency, 10,000 vs 100 events', `${(bigMs / smallMs).toFixed(2)}x`, 'ratio <= 1.3', bigMs / smallMs <= 1.3);
  const [smallBytes, bigBytes] = [bytes.small / APPENDS, bytes.big / APPENDS];
  record('bytes uploaded per append, 100 events', smallBytes.toFixed(0), 'information', true);
  record('bytes uploaded per append, 10,000 events', bigBytes.toFixed(0), '<= 1.1x at 100', bigBytes <= smallBytes * 1.1);

  // The append that completes 100 segments since the last snapshot also writes a snapshot and the manifest.
  let compaction;
  for (let i = 0; i < 100 && compaction === undefined; i++) {
    const before = fake.requests.length;
    const start = now();
    await big.append(event(i));
    const requests = fake.requests.slice(before);
    if (requests.length > 1) compaction = { ms: now() - start, bytes: requests.reduce((sum, r) => sum + r.bytesIn, 0) };
  }
  if (compaction) {
    record('append + compaction, ~10,100 events (ms)', compaction.ms.toFixed(1), 'information', true);
    record('compaction bytes per append on average', (compaction.bytes / 100).toFixed(0), 'information', true);
  }
  const legacyBytes = Buffer.byteLength((await journalLines(10_000, 'bench')).join(''));
  record('(single-object layout: bytes per append at 10,000)', String(legacyBytes), 'information', true);
}

async function statusBenchmarks(fake, client) {
  const { S3JournalStore } = await dist('journal/s3-store.js');
  const { openJournal } = await dist('journal/journal.js');
  const { createMasker } = await dist('support/mask.js');
  const { fakeClock } = await dist('support/clock.js');
  const key = 'bench/status.jsonl';
  await seedJournal(fake.model, key, 10_000, 'bench-noop');
  writeFileSync(join(dir, 'noop.yaml'), 'cutover: 1\nname: bench-noop\nsteps:\n  - id: s1\n    run: "true"\n    rollback: "true"\n');
  const env = { ...process.env, CI: 'true', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' };
  const args = [CLI, 'status', '--journal', `s3://journals/${key}`, '--endpoint-url', fake.url, 'noop.yaml'];
  // The status process cannot run while this process's event loop (the fake S3) is blocked: run it asynchronously.
  const runStatusAsync = () =>
    new Promise((resolve, reject) => {
      const start = now();
      execFile(process.execPath, args, { cwd: dir, env }, (error, _stdout, stderr) =>
        error ? reject(new Error(`cutover status failed: ${stderr.slice(0, 400)}`)) : resolve(now() - start),
      );
    });
  await runStatusAsync(); // caches the runbook's outline
  const before = fake.requests.length;
  const times = [];
  for (let i = 0; i < 5; i++) times.push(await runStatusAsync());
  const perRun = (fake.requests.length - before) / 5;
  record('cutover status, 10,000-event S3 journal (ms)', median(times).toFixed(0), '< 1500 ms', median(times) < 1500);
  record('S3 requests per cutover status', String(perRun), '<= 5', perRun <= 5);

  const reader = new S3JournalStore(client, { bucket: 'journals', key });
  let start = now();
  let mark = fake.requests.length;
  await reader.readText();
  const first = { ms: now() - start, requests: fake.requests.length - mark, bytes: fake.requests.slice(mark).reduce((sum, r) => sum + r.bytesOut, 0) };
  const writer = await openJournal(new S3JournalStore(client, { bucket: 'journals', key }), {
    runbook: { name: 'bench-noop', file: 'noop.yaml' },
    identity: { user: 'bench', host: 'bench', pid: 1 },
    masker: createMasker([]),
    clock: fakeClock(new Date('2026-01-01T00:00:00Z')),
  });
  mark = fake.requests.length;
  for (let i = 0; i < 10; i++) await writer.append({ type: 'decision', step: 's1', data: { prompt: 'bench', choice: 'run' } });
  const newBytes = fake.requests.slice(mark).reduce((sum, r) => sum + r.bytesIn, 0);
  start = now();
  mark = fake.requests.length;
  await reader.readText();
  const second = {
    ms: now() - start,
    requests: fake.requests.length - mark,
    bytes: fake.requests.slice(mark).reduce((sum, r) => sum + (r.list ? 0 : r.bytesOut), 0),
  };
  record(
    'status read of 10,000 events: first (ms / requests / KB)',
    `${first.ms.toFixed(1)} / ${first.requests} / ${(first.bytes / 1024).toFixed(0)}`,
    'information',
    true,
  );
  record(
    'read after 10 more events (ms / requests / bytes)',
    `${second.ms.toFixed(1)} / ${second.requests} / ${second.bytes}`,
    '<= 11 requests, new bytes only',
    second.requests <= 11 && second.bytes <= newBytes,
  );
}

async function planBenchmarks(fakes) {
  const [{ clientConfig }, { createTraffic }, { previewForward }, { fakeClock }, { Route53Client }] = await Promise.all([
    dist('aws/clients.js'),
    dist('actions/traffic/index.js'),
    dist('engine/traffic-preview.js'),
    dist('support/clock.js'),
    import('@aws-sdk/client-route-53'),
  ]);
  const zone = 'Z0BENCH';
  const name = (t) => `app${t}.example.com.`;
  const recordSets = Array.from({ length: 20 }, (_, t) => [
    { Name: name(t), Type: 'A', SetIdentifier: 'blue', Weight: 100, TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] },
    { Name: name(t), Type: 'A', SetIdentifier: 'green', Weight: 0, TTL: 60, ResourceRecords: [{ Value: '192.0.2.2' }] },
  ]).flat();
  const aws = await fakes.aws.startFakeAws({
    zones: [{ id: zone, name: 'example.com.', recordSets }],
    listeners: [],
    rules: [],
    targetGroups: [],
    latencyMs: 20,
  });
  try {
    const route53 = new Route53Client({
      ...clientConfig({ region: 'us-east-1', endpointUrl: aws.url }),
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const traffic = createTraffic({ clients: { route53: async () => route53, elbv2: async () => Promise.reject(new Error('unused')) }, clock: fakeClock() });
    const action = (t, i) => ({
      kind: 'route53',
      zone,
      name: name(t),
      type: 'A',
      weights: { green: i % 101, blue: 100 - (i % 101) },
      wait: true,
      allowAllZero: false,
    });
    const steps = Array.from({ length: 200 }, (_, i) => ({ id: `shift-${i}`, action: action(i % 20, i + 1) }));
    const signal = new globalThis.AbortController().signal;
    await traffic.read(action(0, 1), signal); // loads the driver, opens a connection
    const sequential = [];
    const parallel = [];
    let reads = 0;
    for (let round = 0; round < 3; round++) {
      let start = now();
      for (let t = 0; t < 20; t++) await traffic.read(action(t, 1), signal);
      sequential.push(now() - start);
      const before = aws.requests.length;
      start = now();
      const previews = await previewForward(steps, traffic, signal);
      parallel.push(now() - start);
      reads = aws.requests.length - before;
      if (previews.size !== 200 || [...previews.values()].some((p) => 'error' in p)) throw new Error('plan previews failed');
    }
    const [seqMs, parMs] = [median(sequential), median(parallel)];
    record('plan, 200 traffic steps over 20 targets: AWS reads', String(reads), '= 20', reads === 20);
    record(
      'plan live reads vs 20 sequential reads (20 ms each)',
      `${parMs.toFixed(0)} ms / ${seqMs.toFixed(0)} ms = ${(parMs / seqMs).toFixed(2)}x`,
      'ratio <= 0.5',
      parMs / seqMs <= 0.5,
    );
  } finally {
    await aws.close();
  }
}

try {
  const fakes = await loadFakes();
  const fake = await fakes.s3.startFakeS3({ buckets: ['journals'] });
  try {
    const [{ S3Client }, { clientConfig }] = await Promise.all([import('@aws-sdk/client-s3'), dist('aws/clients.js')]);
    const client = new S3Client({
      ...clientConfig({ region: 'us-east-1', endpointUrl: fake.url }),
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    await appendBenchmarks(fake, client);
    await statusBenchmarks(fake, client);
  } finally {
    await fake.close();
  }
  await planBenchmarks(fakes);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nS3 journal and plan benchmarks (${APPENDS} appends per journal size)`);
for (const r of results)
  console.log(`${r.name.padEnd(58)} ${String(r.value).padStart(28)}  ${r.budget.padEnd(31)} ${r.budget === 'information' ? '' : r.pass ? 'PASS' : 'FAIL'}`);
const failed = results.filter((r) => !r.pass);
if (failed.length > 0) {
  console.log(`${failed.length} budget(s) failed: ${failed.map((r) => r.name).join('; ')}`);
  process.exitCode = 1;
}
