import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHttpCheck, type HttpCheck } from '../../src/actions/http.js';
import { fakeClock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import { testContext } from './helpers.js';

let server: Server;
let base: string;
const counters = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const key = url.searchParams.get('key') ?? '';
    const count = (counters.get(key) ?? 0) + 1;
    counters.set(key, count);
    switch (url.pathname) {
      case '/ok':
        return response.end('status: healthy');
      case '/down':
        response.statusCode = 503;
        return response.end('down');
      case '/every-4th-fails':
        response.statusCode = count % 4 === 0 ? 500 : 200;
        return response.end();
      case '/redirect':
        response.writeHead(302, { location: '/ok' });
        return response.end();
      case '/echo-method':
        return response.end(`${request.method} ${request.headers['x-probe'] ?? ''}`);
      case '/hang':
        return; // Never answers.
      default:
        response.statusCode = 404;
        return response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function http(path: string, extra: Partial<HttpCheck> = {}): HttpCheck {
  return {
    kind: 'http',
    url: `${base}${path}`,
    method: 'GET',
    headers: {},
    expectStatus: [200],
    samples: 1,
    minSuccess: 1,
    intervalMs: 1_000,
    timeoutMs: 2_000,
    ...extra,
  };
}

describe('http check', () => {
  it('passes on an expected status', async () => {
    const result = await runHttpCheck(http('/ok'), testContext());
    expect(result).toEqual({ ok: true, summary: `GET ${base}/ok: 1/1 samples ok (need 100%)`, details: [] });
  });

  it('fails on another status, saying which', async () => {
    const result = await runHttpCheck(http('/down'), testContext());
    expect(result.ok).toBe(false);
    expect(result.details).toEqual(['sample 1/1: status 503 (expected 200)']);
  });

  it('accepts any of several statuses and does not follow redirects', async () => {
    expect((await runHttpCheck(http('/redirect', { expectStatus: [301, 302] }), testContext())).ok).toBe(true);
    expect((await runHttpCheck(http('/redirect'), testContext())).details).toEqual(['sample 1/1: status 302 (expected 200)']);
  });

  it('sends the method and headers', async () => {
    const result = await runHttpCheck(http('/echo-method', { method: 'POST', headers: { 'x-probe': 'yes' }, bodyMatches: '^POST yes$' }), testContext());
    expect(result.ok).toBe(true);
  });

  it('checks the body against bodyMatches', async () => {
    expect((await runHttpCheck(http('/ok', { bodyMatches: 'heal+thy' }), testContext())).ok).toBe(true);
    const result = await runHttpCheck(http('/ok', { bodyMatches: '^ready$' }), testContext());
    expect(result).toMatchObject({ ok: false, details: ['sample 1/1: status 200, body does not match /^ready$/'] });
  });

  it('passes when enough samples succeed, sleeping between them on the clock', async () => {
    const clock = fakeClock();
    const before = clock.now().getTime();
    const result = await runHttpCheck(http('/every-4th-fails?key=a', { samples: 8, minSuccess: 0.75, intervalMs: 10_000 }), testContext({ clock }));
    expect(result.ok).toBe(true);
    expect(result.summary).toBe(`GET ${base}/every-4th-fails?key=a: 6/8 samples ok (need 75%)`);
    expect(result.details).toEqual(['sample 4/8: status 500 (expected 200)', 'sample 8/8: status 500 (expected 200)']);
    expect(clock.now().getTime() - before).toBe(7 * 10_000);
  });

  it('stops sampling once minSuccess is out of reach', async () => {
    const result = await runHttpCheck(http('/every-4th-fails?key=b', { samples: 20, minSuccess: 0.95 }), testContext());
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('2 of 8 samples failed, cannot reach 95% of 20');
    expect(counters.get('b')).toBe(8); // 19/20 would still pass after the first failure
  });

  it('gives up on a request after its timeout', async () => {
    const started = Date.now();
    const result = await runHttpCheck(http('/hang', { timeoutMs: 200 }), testContext());
    expect(result).toMatchObject({ ok: false, details: ['sample 1/1: no response within 200ms'] });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runHttpCheck({ ...http('/'), url: `http://127.0.0.1:${port}/` }, testContext());
    expect(result.ok).toBe(false);
    expect(result.details[0]).toContain('ECONNREFUSED');
  });

  it('returns aborted when the signal fires mid-request', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await runHttpCheck(http('/hang', { timeoutMs: 10_000 }), testContext({ signal: controller.signal }));
    expect(result).toMatchObject({ ok: false, aborted: true });
  });

  it('masks secrets in the URL', async () => {
    const result = await runHttpCheck(http('/down?token=hunter2'), testContext({ masker: createMasker(['hunter2']) }));
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(result.summary).toContain('token=***');
  });
});
