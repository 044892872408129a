/**
 * The real webhook port (Node's fetch) against a real local HTTP server: what arrives,
 * retries after a 500, and dead endpoints (connection refused, a server that never
 * answers) that fail the delivery, never the run.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchWebhooks } from '../../src/actions/webhook.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import { MigrationWorld, shell } from '../helpers/migration-world.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

const servers: Server[] = [];

async function serve(answer: (request: Received, res: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
      received.push(request);
      answer(request, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function world(notify: string, env: Record<string, string> = {}): MigrationWorld {
  const text = `cutover: 1
name: http-hooks
secrets: [HOOK_TOKEN]
defaults: { confirm: false, onFailure: stop }
notify:
${notify}steps:
${shell('a')}`;
  const loaded = loadRunbookText('http-hooks.yaml', text, { env });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  const w = new MigrationWorld(loaded.runbook);
  w.webhooks = fetchWebhooks;
  return w;
}

describe('webhooks against a real HTTP server', () => {
  it('posts the JSON and Slack payloads as application/json, with the secret URL never journaled', async () => {
    const server = await serve((_request, res) => res.writeHead(200).end('ok'));
    const env = { HOOK_TOKEN: 'T0KEN-abcdef' };
    const w = world(
      `  - { url: "${server.url}/json/\${env.HOOK_TOKEN}", events: [run-started, completed] }\n  - { name: slack, url: "${server.url}/slack", format: slack }\n`,
      env,
    );
    expect(await w.run()).toMatchObject({ state: 'completed' });
    const byPath = (prefix: string) => server.received.filter((r) => r.path.startsWith(prefix));
    expect(
      byPath('/json/T0KEN-abcdef')
        .map((r) => (r.body as { event: string }).event)
        .sort(),
    ).toEqual(['completed', 'run-started']);
    expect(byPath('/json')[0]?.headers['content-type']).toBe('application/json');
    expect(byPath('/slack')).toHaveLength(1);
    expect(byPath('/slack')[0]?.body).toMatchObject({ text: 'http-hooks: completed', blocks: [{ type: 'section' }, { type: 'context' }] });
    expect(w.state().notifications.map((n) => [n.webhook, n.event, n.ok, n.status])).toEqual(
      expect.arrayContaining([
        [1, 'run-started', true, 200],
        [1, 'completed', true, 200],
        [2, 'completed', true, 200],
      ]),
    );
    expect(w.store.text).not.toContain('T0KEN-abcdef');
    expect(w.store.text).not.toContain(server.url);
  });

  it('retries a 500, then the 200 is journaled as sent after 2 attempts', async () => {
    let calls = 0;
    const server = await serve((_request, res) => res.writeHead(calls++ === 0 ? 500 : 200).end());
    const w = world(`  - { url: "${server.url}/hook", events: [completed] }\n`);
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(server.received).toHaveLength(2);
    expect(server.received[0]?.body).toEqual(server.received[1]?.body);
    expect(w.state().notifications).toEqual([expect.objectContaining({ ok: true, attempts: 2, status: 200 })]);
  });

  it('connection refused: every retry spent, notify.failed journaled, the run completed', async () => {
    const gone = await serve(() => undefined);
    const url = gone.url;
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const w = world(`  - { url: "${url}/hook", events: [completed], retries: 2 }\n`);
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(w.state().notifications).toEqual([expect.objectContaining({ ok: false, attempts: 3, reason: expect.stringMatching(/ECONNREFUSED/) })]);
    expect(w.state().steps.get('a')?.state).toBe('succeeded');
  });

  it('a server that never answers: the try times out, is not repeated, and the run completes', async () => {
    const server = await serve(() => undefined);
    const w = world(`  - { url: "${server.url}/hook", events: [completed], timeout: 300ms }\n`);
    const started = Date.now();
    expect(await w.run()).toMatchObject({ state: 'completed' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.received).toHaveLength(1);
    expect(w.state().notifications).toEqual([expect.objectContaining({ ok: false, attempts: 1, reason: 'no answer within 300ms' })]);
  });
});
