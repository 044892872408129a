/** The `notify:` block: resolved with defaults, references interpolated, outside every digest. */
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/types.js';
import { DEFAULT_NOTIFY_EVENTS } from '../../src/runbook/notify.js';

function valid(text: string, env: Record<string, string> = {}): Runbook {
  const result = loadRunbookText('rb.yaml', text, { env });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return result.runbook;
}

const steps = `steps:
  - id: a
    run: echo hi
    rollback: echo undo
`;

describe('notify: in a runbook', () => {
  it('resolves defaults: json, every event but run-started, 5s, 2 retries', () => {
    const runbook = valid(`cutover: 1\nname: t\nnotify:\n  - url: https://hooks.example.com/x\n${steps}`);
    expect(runbook.notify).toEqual([{ url: 'https://hooks.example.com/x', format: 'json', events: [...DEFAULT_NOTIFY_EVENTS], timeoutMs: 5000, retries: 2 }]);
    expect(DEFAULT_NOTIFY_EVENTS).not.toContain('run-started');
    expect(DEFAULT_NOTIFY_EVENTS).toHaveLength(6);
  });

  it('interpolates a secret URL and masks it; the steps digests do not depend on notify', () => {
    const text = `cutover: 1
name: t
secrets: [SLACK_HOOK]
vars:
  team: ops
notify:
  - name: ops-slack
    url: \${env.SLACK_HOOK}
    format: slack
    events: [step-failed, completed, step-failed]
    timeout: 2s
    retries: 0
${steps}`;
    const runbook = valid(text, { SLACK_HOOK: 'https://hooks.slack.com/services/T/B/secret123' });
    expect(runbook.notify).toEqual([
      {
        name: 'ops-slack',
        url: 'https://hooks.slack.com/services/T/B/secret123',
        format: 'slack',
        events: ['step-failed', 'completed'],
        timeoutMs: 2000,
        retries: 0,
      },
    ]);
    expect(runbook.secrets.values).toContain('https://hooks.slack.com/services/T/B/secret123');
    const without = valid(`cutover: 1\nname: t\n${steps}`);
    expect(without.notify).toBeUndefined();
    expect(runbook.steps[0]?.digest).toBe(without.steps[0]?.digest);
  });
});

describe('plan shows the webhooks, never their URLs', () => {
  it('by name or position: scheme and host, format, events; an empty URL is off', async () => {
    const { buildPlan } = await import('../../src/engine/plan.js');
    const { renderPlan } = await import('../../src/cli/handlers/plan.js');
    const runbook = valid(
      `cutover: 1
name: t
secrets: [HOOK]
vars:
  spare: { default: "", secret: true }
notify:
  - { name: ops, url: "\${env.HOOK}", format: slack, events: [step-failed] }
  - { url: "\${spare}" }
${steps}`,
      { HOOK: 'https://hooks.slack.com/services/T/B/secret123' },
    );
    const plan = buildPlan(runbook);
    expect(plan.notify).toEqual([
      { webhook: 1, name: 'ops', format: 'slack', events: ['step-failed'], target: 'https://hooks.slack.com' },
      { webhook: 2, format: 'json', events: [...DEFAULT_NOTIFY_EVENTS], target: 'off' },
    ]);
    const text = renderPlan(plan, { color: false });
    expect(text).toContain('notify ops: https://hooks.slack.com (slack): step-failed');
    expect(text).toContain('notify #2: off (its url is empty): waiting-approval, step-failed');
    expect(JSON.stringify(plan) + text).not.toContain('secret123');
    expect(buildPlan(valid(`cutover: 1\nname: t\n${steps}`)).notify).toBeUndefined();
  });
});
