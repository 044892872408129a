/** The two payloads: cutover's JSON (version 1) and Slack's text + blocks; secrets masked in both. */
import { describe, expect, it } from 'vitest';
import { notify, settleNotifications } from '../../src/engine/notify.js';
import { jsonPayload, NOTIFY_PAYLOAD_VERSION, slackEscape, slackPayload } from '../../src/engine/notify-payload.js';
import type { NotifyFacts } from '../../src/engine/notify-payload.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import { FakeWebhooks } from '../helpers/fake-webhooks.js';
import { MigrationWorld } from '../helpers/migration-world.js';

const context = { runbook: 'web', host: 'ci-7', at: new Date('2026-03-01T12:00:00Z') };

describe('JSON payload, version 1', () => {
  it('carries the version, the event and only the facts that apply', () => {
    expect(NOTIFY_PAYLOAD_VERSION).toBe(1);
    expect(jsonPayload({ event: 'completed' }, context)).toEqual({
      version: 1,
      source: 'cutover',
      event: 'completed',
      runbook: 'web',
      at: '2026-03-01T12:00:00.000Z',
      host: 'ci-7',
      message: 'web: completed',
    });
    expect(
      jsonPayload({ event: 'rolled-back', step: 'dns-10', steps: ['dns-10', 'deploy'], reason: 'step failed; operator chose rollback-all' }, context),
    ).toEqual({
      version: 1,
      source: 'cutover',
      event: 'rolled-back',
      runbook: 'web',
      at: '2026-03-01T12:00:00.000Z',
      host: 'ci-7',
      message: 'web: rolled back dns-10, deploy after dns-10: step failed; operator chose rollback-all',
      step: 'dns-10',
      steps: ['dns-10', 'deploy'],
      reason: 'step failed; operator chose rollback-all',
    });
  });

  it.each<[NotifyFacts, string]>([
    [{ event: 'run-started', command: 'resume' }, 'web: resume started'],
    [
      { event: 'waiting-approval', step: 'go', approve: 'cutover approve web.yaml go' },
      'web: step go waits for approval; when done: cutover approve web.yaml go',
    ],
    [{ event: 'step-failed', step: 'a', reason: 'verify failed: exit 1' }, 'web: step a failed: verify failed: exit 1'],
    [{ event: 'watch-failed', step: 'a', reason: '5xx rate 7% > 1%' }, 'web: the watch of a failed during its bake: 5xx rate 7% > 1%'],
    [{ event: 'rollback-failed', step: 'a', reason: 'exit 2' }, 'web: the rollback stopped at a: exit 2; someone must look now (cutover status)'],
  ])('%j says %s', (facts, message) => {
    expect(jsonPayload(facts, context).message).toBe(message);
  });
});

describe('Slack payload', () => {
  it('has text for the notification and a section and context block', () => {
    const payload = slackPayload({ event: 'step-failed', step: 'dns-10', reason: 'verify failed: <html> & co' }, context);
    expect(payload.text).toBe('web: step dns-10 failed: verify failed: &lt;html&gt; &amp; co');
    expect(payload.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*:x: Step failed* · `web`\n*Step:* `dns-10`\n*Why:* verify failed: &lt;html&gt; &amp; co' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'cutover on ci-7 at 2026-03-01T12:00:00.000Z' }] },
    ]);
  });

  it("cuts a long reason well under Slack's 3000-character section limit", () => {
    const payload = slackPayload({ event: 'watch-failed', step: 'a', reason: 'x'.repeat(10_000) }, context);
    const section = payload.blocks[0] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThan(3000);
    expect(payload.text.length).toBeLessThan(3000);
  });

  it('escapes what Slack would read as a link or mention', () => {
    expect(slackEscape('<!channel> <https://x|y> a&b')).toBe('&lt;!channel&gt; &lt;https://x|y&gt; a&amp;b');
  });
});

describe('masking', () => {
  it('masks secrets in every payload, and the secret URL never reaches the journal', async () => {
    const text = `cutover: 1
name: masked
secrets: [HOOK, TOKEN]
defaults: { confirm: false, onFailure: stop }
notify:
  - { url: "\${env.HOOK}", events: [step-failed] }
  - { url: "\${env.HOOK}/slack", format: slack, events: [step-failed] }
steps:
  - id: a
    run: apply a
    rollback: undo a
`;
    const env = { HOOK: 'https://hooks.example.com/T0/B0/hooksecret', TOKEN: 'tok-123456' };
    const loaded = loadRunbookText('masked.yaml', text, { env });
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    const world = new MigrationWorld(loaded.runbook);
    const hooks = new FakeWebhooks();
    world.webhooks = hooks;
    const ctx = await world.context();
    notify(ctx, {
      event: 'step-failed',
      step: 'a',
      reason: `curl -H "Authorization: Bearer tok-123456" failed; base64 ${Buffer.from('tok-123456').toString('base64')}`,
    });
    await settleNotifications(ctx);
    expect(hooks.posted.map((p) => p.url)).toEqual([env.HOOK, `${env.HOOK}/slack`]);
    for (const posted of hooks.posted) {
      const body = JSON.stringify(posted.body);
      expect(body).not.toContain('tok-123456');
      expect(body).not.toContain(Buffer.from('tok-123456').toString('base64'));
      expect(body).toContain('Bearer ***');
    }
    expect(world.store.text).not.toContain('hooksecret');
    expect(world.state().notifications.map((n) => n.webhook)).toEqual([1, 2]);
  });
});
