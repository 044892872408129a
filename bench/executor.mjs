#!/usr/bin/env node
/**
 * Executor benchmarks (run by `npm run bench` after bench/run.mjs):
 * - 500 no-op shell steps with `run --yes` and the journal, as a ratio to a bare Node loop
 *   doing the same 500 execa spawns plus 2 fsyncs per step (budget 1.5x);
 * - `cutover status` on a 100,000-event journal (budget: under 1 s whole process);
 * - `cutover status` on a small journal, as a ratio to `node -e 0` (budget 1.5x); also, without
 *   a budget, the first `status` after the runbook changed (no cached outline: a full load).
 * Each is the median of --runs N (default 5; three times that for the short status cases)
 * whole-process runs, alternating with its baseline; exits 1 on a missed budget.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'cutover');
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-exec-'));

function time(args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync('node', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' }, ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(0, 400)}`);
  return ms;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(make, runs = RUNS) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(make(i));
  return median(times);
}

/** Medians of a case and its baseline, run alternately so that machine noise hits both alike. */
function measurePair(makeCase, makeBaseline, runs = RUNS) {
  const caseTimes = [];
  const baselineTimes = [];
  for (let i = 0; i < runs; i++) {
    caseTimes.push(makeCase(i));
    baselineTimes.push(makeBaseline(i));
  }
  return [median(caseTimes), median(baselineTimes)];
}

function noopRunbook(n) {
  const lines = ['cutover: 1', 'name: bench-noop', 'steps:'];
  for (let i = 1; i <= n; i++) lines.push(`  - id: s${i}`, '    run: "true"', '    rollback: "true"');
  return `${lines.join('\n')}\n`;
}

const BARE_LOOP = `
import { execa } from ${JSON.stringify(pathToFileURL(join(ROOT, 'node_modules', 'execa', 'index.js')).href)};
import { openSync, writeSync, fsyncSync } from 'node:fs';
const fd = openSync(process.argv[2], 'a', 0o600);
for (let i = 0; i < 500; i++) {
  writeSync(fd, 'started\\n'); fsyncSync(fd);
  await execa('sh', ['-c', 'true'], { detached: true, stdin: 'ignore' });
  writeSync(fd, 'succeeded\\n'); fsyncSync(fd);
}
`;

/** A valid hash-chained journal of `events` lines, written directly (appending 100k times is the slow part, not what is measured). */
async function bigJournal(path, events) {
  const { hashLine, serializeEvent } = await import(pathToFileURL(join(ROOT, 'dist/journal/line.js')).href);
  const lines = [];
  let prev = null;
  for (let seq = 1; seq <= events; seq++) {
    const base = { v: 1, seq, ts: '2026-01-01T00:00:00.000Z', by: 'bench@bench', prev };
    const event =
      seq === 1
        ? { ...base, type: 'journal.created', data: { runbook: 'bench-noop', file: 'noop.yaml' } }
        : { ...base, type: 'decision', step: `s${(seq % 3) + 1}`, data: { prompt: 'bench', choice: 'run' } };
    const line = serializeEvent(event);
    lines.push(line);
    prev = hashLine(line);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const results = [];
try {
  writeFileSync(join(dir, 'noop.yaml'), noopRunbook(500));
  writeFileSync(join(dir, 'small.yaml'), noopRunbook(3));
  writeFileSync(join(dir, 'bare.mjs'), BARE_LOOP);

  const [cutover500, bare500] = measurePair(
    (i) => time([CLI, 'run', '--yes', '--journal', join(dir, `j500-${i}.jsonl`), 'noop.yaml']),
    (i) => time(['bare.mjs', join(dir, `bare-${i}.log`)]),
  );
  results.push({
    name: '500 no-op steps: run --yes vs bare execa loop',
    ms: cutover500,
    ratio: cutover500 / bare500,
    budget: 'ratio <= 1.5',
    pass: cutover500 / bare500 <= 1.5,
  });

  await bigJournal(join(dir, 'big.jsonl'), 100_000);
  // The runs above cached the runbooks' outlines (commands that write keep it; status only
  // reads it). Each status case still runs once unmeasured first, to warm the disk cache.
  time([CLI, 'status', '--journal', join(dir, 'big.jsonl'), 'noop.yaml']);
  const big = measure(() => time([CLI, 'status', '--journal', join(dir, 'big.jsonl'), 'noop.yaml']));
  results.push({ name: 'status, 100,000-event journal', ms: big, ratio: undefined, budget: '< 1000 ms', pass: big < 1000 });

  time([CLI, 'run', '--yes', '--journal', join(dir, 'small.jsonl'), 'small.yaml']);
  time([CLI, 'status', '--journal', join(dir, 'small.jsonl'), 'small.yaml']);
  // Short cases: three times the runs, for a steadier median.
  const [small, node] = measurePair(
    () => time([CLI, 'status', '--journal', join(dir, 'small.jsonl'), 'small.yaml']),
    () => time(['-e', '0']),
    RUNS * 3,
  );
  results.push({ name: 'node -e 0', ms: node, ratio: 1, budget: 'baseline', pass: true });
  results.push({ name: 'status, small journal', ms: small, ratio: small / node, budget: 'ratio <= 1.5', pass: small / node <= 1.5 });
  // No budget: a status after the runbook changed (before any command that writes) loads it in full (parser, schema).
  const cold = measure(() => {
    rmSync(join(dir, '.cutover', 'cache'), { recursive: true, force: true });
    return time([CLI, 'status', '--journal', join(dir, 'small.jsonl'), 'small.yaml']);
  }, RUNS * 3);
  results.push({ name: 'status, small journal, runbook just edited', ms: cold, ratio: cold / node, budget: 'information', pass: true });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nexecutor benchmarks, median of ${RUNS} runs`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(48)} ${r.ms.toFixed(0).padStart(7)} ms  ${r.ratio === undefined ? '      ' : `${r.ratio.toFixed(2)}x`.padStart(6)}  ${r.budget.padEnd(13)} ${r.budget === 'information' ? '' : r.pass ? 'PASS' : 'FAIL'}`,
  );
}
const failed = results.filter((r) => !r.pass);
if (failed.length > 0) {
  console.log(`${failed.length} budget(s) failed: ${failed.map((r) => r.name).join('; ')}`);
  process.exitCode = 1;
}
