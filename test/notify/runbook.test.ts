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
    expect(runbook.notify).toEqual([{ name: 'ops-slack', url: 'https://hooks.slack.com/services/T/B/secret123', format: 'slack', events: ['step-failed', 'completed'], timeoutMs: 2000, retries: 0 }]);
    expect(runbook.secrets.values).toContain('https://hooks.slack.com/services/T/B/secret123');
    const without = valid(`cutover: 1\nname: t\n${steps}`);
    expect(without.notify).toBeUndefined();
    expect(runbook.steps[0]?.digest).toBe(without.steps[0]?.digest);
  });
});
