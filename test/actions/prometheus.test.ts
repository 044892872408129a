/**
 * The prometheus check against a local HTTP server that answers as the Prometheus API does:
 * what is sent (POST form, the auth header), and every shape of answer. The real server is
 * in test/e2e/prometheus.test.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPrometheus } from '../../src/actions/prometheus.js';
import { queryEndpoint } from '../../src/runbook/metric-labels.js';
import type { PrometheusCheck } from '../../src/runbook/metric-types.js';
import { createMasker } from '../../src/support/mask.js';

const TOKEN = 'prom-s3cret-token';
let server: Server;
let url: string;
let answer: { status: number; body: unknown } = { status: 200, body: {} };
const seen: { method?: string; path?: string; auth?: string; type?: string; body: string }[] = [];

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((body) => {
      seen.push({ method: req.method, path: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body });
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ctx = () => ({ signal: new AbortController().signal, masker: createMasker([TOKEN]) });
const check = (over: Partial<PrometheusCheck> = {}): PrometheusCheck => ({
  kind: 'prometheus',
  url,
  query: 'sum(rate(errors[5m]))',
  headers: {},
  timeoutMs: 15_000,
  max: 0.05,
  ...over,
});
const vector = (...series: { metric: Record<string, string>; value: string }[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: series.map((s) => ({ metric: s.metric, value: [1_780_000_000, s.value] })) },
});

describe('prometheus check', () => {
  it('POSTs the query to /api/v1/query under the base URL, with the headers given', async () => {
    answer = { status: 200, body: vector({ metric: {}, value: '0.012' }) };
    seen.length = 0;
    const result = await runPrometheus(check({ headers: { Authorization: `Bearer ${TOKEN}` } }), ctx());
    expect(result).toEqual({
      ok: true,
      summary: 'Prometheus query "sum(rate(errors[5m]))" answered 0.012, within <= 0.05',
      details: [],
      observations: [{ check: 'Prometheus query "sum(rate(errors[5m]))"', value: 0.012, max: 0.05, ok: true }],
    });
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/prom/api/v1/query',
        auth: `Bearer ${TOKEN}`,
        type: 'application/x-www-form-urlencoded',
        body: 'query=sum%28rate%28errors%5B5m%5D%29%29',
      },
    ]);
    expect(queryEndpoint('http://p:9090')).toBe('http://p:9090/api/v1/query');
    expect(queryEndpoint('http://p:9090/api/v1/query')).toBe('http://p:9090/api/v1/query');
  });

  it.each([
    {
      name: 'a scalar above max',
      body: { status: 'success', data: { resultType: 'scalar', result: [1, '0.2'] } },
      over: {},
      ok: false,
      summary: /answered 0.2, above max 0.05$/,
    },
    {
      name: 'a scalar below min',
      body: { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } },
      over: { max: undefined, min: 5 },
      ok: false,
      summary: /answered 3, below min 5$/,
    },
    {
      name: 'a value within min and max',
      body: vector({ metric: { job: 'web' }, value: '7' }),
      over: { max: 10, min: 5 },
      ok: true,
      summary: /answered 7, within >= 5 and <= 10$/,
    },
    {
      name: 'NaN',
      body: vector({ metric: {}, value: 'NaN' }),
      over: {},
      ok: false,
      summary: /answered NaN, not a number \(NaN\), which no threshold accepts$/,
    },
    { name: '+Inf', body: vector({ metric: {}, value: '+Inf' }), over: {}, ok: false, summary: /answered \+Inf, above max 0.05$/ },
    { name: 'an empty vector', body: vector(), over: {}, ok: false, summary: /answered no series \(an empty vector\); it must answer exactly one value/ },
    {
      name: 'several series',
      body: vector({ metric: { __name__: 'up', job: 'a' }, value: '1' }, { metric: { __name__: 'up', job: 'b' }, value: '0' }),
      over: {},
      ok: false,
      summary: /answered 2 series \(up\{job="a"\}, up\{job="b"\}\); it must answer one: aggregate it/,
    },
    {
      name: 'a range vector',
      body: { status: 'success', data: { resultType: 'matrix', result: [] } },
      over: {},
      ok: false,
      summary: /answered a matrix; it must answer a scalar or an instant vector/,
    },
  ])('$name', async ({ body, over, ok, summary }) => {
    answer = { status: 200, body };
    const result = await runPrometheus(check(over), ctx());
    expect(result.ok).toBe(ok);
    expect(result.summary).toMatch(summary);
  });

  it('an API error, an HTTP error and an answer that is not the API fail with what was said; secrets masked', async () => {
    answer = { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error' } };
    expect((await runPrometheus(check(), ctx())).summary).toMatch(
      /Prometheus refused the query \(400 bad_data\): invalid parameter "query": 1:5: parse error$/,
    );
    answer = { status: 401, body: `unauthorized: ${TOKEN} is not valid` };
    const refused = await runPrometheus(check(), ctx());
    expect(refused.summary).toMatch(/HTTP 401 from .*\/prom\/api\/v1\/query \(check the auth header and its secret\): unauthorized: \*\*\* is not valid$/);
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
    answer = { status: 200, body: '<html>grafana</html>' };
    expect((await runPrometheus(check(), ctx())).summary).toMatch(
      /did not answer as the Prometheus API does \(is the URL the Prometheus base URL\?\): <html>grafana<\/html>$/,
    );
  });

  it('an unreachable server fails; an abort is no verdict', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = await runPrometheus(check({ url: `http://127.0.0.1:${port}` }), ctx());
    expect(dead.summary).toMatch(/cannot reach http:\/\/127.0.0.1:\d+\/api\/v1\/query: .*ECONNREFUSED/);
    const controller = new AbortController();
    controller.abort();
    expect(await runPrometheus(check(), { ...ctx(), signal: controller.signal })).toMatchObject({ ok: false, aborted: true });
  });
});
