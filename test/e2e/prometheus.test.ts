/**
 * The prometheus check against a real Prometheus server (Debian's `prometheus`): the test
 * serves an exporter over HTTP, starts Prometheus on a free port with a temporary
 * configuration (scraping the exporter every second) and storage directory, waits until
 * the query answers, then runs the check in process and through the built CLI (a runbook
 * whose verify uses it, the token from a secret).
 *
 * Needs `npm run build` first (npm test does it) and Prometheus at /usr/bin/prometheus (or
 * CUTOVER_PROMETHEUS). Without it: a failure under CI=true, a skip with a warning otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPrometheus } from '../../src/actions/prometheus.js';
import type { PrometheusCheck } from '../../src/runbook/metric-types.js';
import { createMasker } from '../../src/support/mask.js';
import { cli, cliEnv, describeResult, journalPath, readJournal, removeDir, requireBuild, scratch, tempDir } from './helpers.js';

const PROMETHEUS = process.env.CUTOVER_PROMETHEUS ?? '/usr/bin/prometheus';
const HAVE_PROMETHEUS = existsSync(PROMETHEUS);

if (!HAVE_PROMETHEUS) {
  const message = `the Prometheus check's end-to-end test needs Prometheus at ${PROMETHEUS}: install Debian's package ("apt-get install prometheus"; .ci/run does it) or set CUTOVER_PROMETHEUS to a prometheus binary`;
  if (process.env.CI === 'true') {
    it('has Prometheus to query', () => {
      throw new Error(message);
    });
  } else {
    console.warn(`warning: skipping test/e2e/prometheus.test.ts: ${message}`);
  }
}

/** What the exporter serves (Prometheus text format), scraped every second. */
const EXPOSITION = `# TYPE cutover_test_error_ratio gauge
cutover_test_error_ratio{service="green"} 0.02
# TYPE cutover_test_requests_total counter
cutover_test_requests_total{service="green"} 120
cutover_test_requests_total{service="blue"} 80
`;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let exporter: Server | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let dir = '';
let url = '';

describe.runIf(HAVE_PROMETHEUS)('prometheus check against a real Prometheus', () => {
  beforeAll(async () => {
    dir = tempDir('cutover-prometheus-');
    exporter = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION));
    await new Promise<void>((resolve) => exporter?.listen(0, '127.0.0.1', resolve));
    const exporterPort = (exporter.address() as AddressInfo).port;
    const config = path.join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: cutover-test\n    static_configs:\n      - targets: ["127.0.0.1:${exporterPort}"]\n`,
    );
    mkdirSync(path.join(dir, 'data'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog += chunk));
    prometheus.stderr?.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog += chunk));
    // Ready when the scraped series can be queried.
    const deadline = Date.now() + 45_000;
    for (;;) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${prometheusLog}`);
      const ready = await fetch(`${url}/api/v1/query?query=cutover_test_error_ratio`)
        .then(async (response) => ((await response.json()) as { data?: { result?: unknown[] } }).data?.result?.length === 1)
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus did not answer the query within 45s:\n${prometheusLog}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await new Promise<void>((resolve) => (exporter ? exporter.close(() => resolve()) : resolve()));
    if (dir) removeDir(dir);
  });

  const ctx = () => ({ signal: new AbortController().signal, masker: createMasker([]) });
  const check = (query: string, over: Partial<PrometheusCheck> = {}): PrometheusCheck => ({
    kind: 'prometheus',
    url,
    query,
    headers: {},
    timeoutMs: 10_000,
    ...over,
  });

  it('a one-element vector within max passes; above max fails with the value', async () => {
    expect(await runPrometheus(check('cutover_test_error_ratio{service="green"}', { max: 0.05 }), ctx())).toMatchObject({
      ok: true,
      summary: 'Prometheus query "cutover_test_error_ratio{service=\\"green\\"}" answered 0.02, within <= 0.05',
    });
    expect(await runPrometheus(check('cutover_test_error_ratio', { max: 0.01 }), ctx())).toMatchObject({
      ok: false,
      summary: 'Prometheus query "cutover_test_error_ratio" answered 0.02, above max 0.01',
      observations: [{ value: 0.02, max: 0.01, ok: false }],
    });
  });

  it('a scalar, compared with min', async () => {
    expect(await runPrometheus(check('scalar(sum(cutover_test_requests_total))', { min: 150 }), ctx())).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/answered 200, within >= 150$/),
    });
  });

  it('several series, an empty result and a parse error are failures', async () => {
    expect((await runPrometheus(check('cutover_test_requests_total', { max: 1000 }), ctx())).summary).toMatch(
      /answered 2 series \(cutover_test_requests_total\{.*service="(blue|green)".*\}, .*\); it must answer one/,
    );
    expect((await runPrometheus(check('cutover_test_requests_total{service="purple"}', { max: 1000 }), ctx())).summary).toMatch(
      /answered no series \(an empty vector\)/,
    );
    expect((await runPrometheus(check('sum(', { max: 1 }), ctx())).summary).toMatch(/Prometheus refused the query \(400 bad_data\): .*parse error/);
  });

  it('through the CLI: a verify that passes journals the value; one that fails stops the run and says why', async (context) => {
    requireBuild();
    const work = scratch(context);
    const runbook = (max: number) => `cutover: 1
name: e2e
secrets: [PROM_TOKEN]
defaults: { confirm: false, onFailure: stop }
steps:
  - id: shift
    run: echo shifted
    rollback: none
    irreversible: a test
    verify:
      prometheus:
        url: ${url}
        query: max(cutover_test_error_ratio)
        headers: { Authorization: "Bearer \${env.PROM_TOKEN}" }
        max: ${max}
      retryFor: 2s
      interval: 1s
`;
    const file = path.join(work, 'e2e.yaml');
    const env = cliEnv({ PROM_TOKEN: 'tok-3f9a7c-secret' });
    writeFileSync(file, runbook(0.05));
    const ok = await cli(['run', file, '--yes'], { cwd: work, env, timeoutMs: 30_000 });
    expect(ok.code, describeResult(ok)).toBe(0);
    const events = readJournal(journalPath(work));
    expect(events.filter((e) => e.type === 'check.observed').map((e) => e.data)).toEqual([
      { phase: 'verify', ok: true, observations: [{ check: 'Prometheus query "max(cutover_test_error_ratio)"', value: 0.02, max: 0.05, ok: true }] },
    ]);
    const plan = await cli(['plan', file], { cwd: work, env });
    expect(plan.stdout).toContain(
      `Prometheus query "max(cutover_test_error_ratio)" at ${url}/api/v1/query must be <= 0.05 (headers: Authorization) (retry for 2s every 1s)`,
    );
    expect(plan.stdout + JSON.stringify(events)).not.toContain('tok-3f9a7c-secret');

    const second = path.join(work, 'second');
    mkdirSync(second);
    writeFileSync(path.join(second, 'e2e.yaml'), runbook(0.01));
    const failed = await cli(['run', path.join(second, 'e2e.yaml'), '--yes'], { cwd: second, env, timeoutMs: 30_000 });
    expect(failed.code, describeResult(failed)).not.toBe(0);
    const failedEvents = readJournal(journalPath(second));
    const stepFailed = failedEvents.find((e) => e.type === 'step.failed');
    expect(stepFailed?.data.reason).toMatch(
      /^verify failed: Prometheus query "max\(cutover_test_error_ratio\)" answered 0.02, above max 0.01 \(still failing after [0-9a-z]+, \d+ attempts\)$/,
    );
    expect(failed.stdout + failed.stderr).toContain('answered 0.02, above max 0.01');
    expect(failedEvents.filter((e) => e.type === 'check.observed').map((e) => (e.data.observations as { value: number }[])[0]?.value)).toEqual([0.02]);
  }, 60_000);
});
