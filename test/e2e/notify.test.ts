/**
 * notify: through the built CLI: a runbook whose webhooks point at a local HTTP server
 * (one of them through a secret environment variable) and at a dead port. The run ends as
 * it would without them; the journal, status and the output never show the secret URL.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, describeResult, journalPath, readJournal, requireBuild, scratch } from './helpers.js';

beforeAll(requireBuild);

const received: { path: string; body: Record<string, unknown> }[] = [];
let server: Server;
let base = '';
let deadPort = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port nobody listens on: bound, then closed.
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  deadPort = (dead.address() as AddressInfo).port;
  await new Promise((resolve) => dead.close(resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('notify: end to end', () => {
  it('tells the webhooks, journals every delivery, and a dead one fails only its delivery', async (context) => {
    const dir = scratch(context);
    const file = path.join(dir, 'hooks.yaml');
    writeFileSync(
      file,
      `cutover: 1
name: e2e
secrets: [HOOK_URL]
notify:
  - name: ops
    url: \${env.HOOK_URL}
    events: [run-started, completed]
  - url: ${base}/slack
    format: slack
    events: [completed]
  - name: dead
    url: http://127.0.0.1:${deadPort}/hook
    events: [completed]
    retries: 1
steps:
  - id: one
    run: echo one
    rollback: echo undo
`,
    );
    const secretPath = '/hook/T0/B0/e2e-secret-token';
    const env = cliEnv({ HOOK_URL: `${base}${secretPath}` });
    const run = await cli(['run', '--yes', file], { cwd: dir, env });
    expect(run.code, describeResult(run)).toBe(0);
    expect(
      received
        .filter((r) => r.path === secretPath)
        .map((r) => r.body.event)
        .sort(),
    ).toEqual(['completed', 'run-started']);
    expect(received.find((r) => r.path === secretPath && r.body.event === 'completed')?.body).toMatchObject({
      version: 1,
      source: 'cutover',
      runbook: 'e2e',
      message: 'e2e: completed',
    });
    expect(received.find((r) => r.path === '/slack')?.body).toMatchObject({ text: 'e2e: completed' });

    const events = readJournal(journalPath(dir));
    const notes = events.filter((e) => e.type.startsWith('notify.')).map((e) => `${e.type}:${String(e.data.name ?? e.data.webhook)}:${String(e.data.event)}`);
    expect(notes.sort()).toEqual(['notify.failed:dead:completed', 'notify.sent:2:completed', 'notify.sent:ops:completed', 'notify.sent:ops:run-started']);
    expect(events.find((e) => e.type === 'notify.failed')?.data).toMatchObject({ attempts: 2, reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(run.stderr).toMatch(/webhook dead was not told completed \(2 tries\): .*ECONNREFUSED.*; the migration goes on/);

    const status = await cli(['status', file], { cwd: dir, env });
    expect(status.stdout + status.stderr).toContain('notifications: 3 sent, 1 failed (last: webhook dead, completed at');
    for (const text of [JSON.stringify(events), run.stdout, run.stderr, status.stdout, status.stderr]) expect(text).not.toContain('e2e-secret-token');
  });
});
