/** "Show details" at the step prompt shows plan's live diff for a traffic step. */
import { describe, expect, it } from 'vitest';
import { TrafficError } from '../../src/actions/traffic/types.js';
import { stepDetails } from '../../src/cli/interactive-operator.js';
import { previewForward } from '../../src/engine/traffic-preview.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Step } from '../../src/runbook/types.js';
import { DNS, FakeTraffic } from '../helpers/fake-traffic.js';

const loaded = loadRunbookText(
  'rb.yaml',
  `cutover: 1
name: details
steps:
  - id: dns-10
    run:
      route53: { zone: ZAPP, name: app.example.com., type: A, weights: { onprem: 90, aws: 10 } }
  - id: migrate
    run: ./migrate.sh
    rollback: ./undo.sh
`,
  { env: {} },
);
if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
const [dns, shell] = loaded.runbook.steps as [Step, Step];

function previewWith(traffic: FakeTraffic) {
  return async (step: Step) => (await previewForward([step], traffic, new AbortController().signal)).get(step.id);
}

describe('step details', () => {
  it('a traffic step: the live weights and the weights after it, as plan shows them', async () => {
    const traffic = new FakeTraffic();
    traffic.live.set(DNS, { aws: 0, onprem: 100 });
    const lines = await stepDetails(dns, previewWith(traffic));
    expect(lines).toContain('  live:     app.example.com. A in ZAPP: onprem 100 -> 90, aws 0 -> 10');
    expect(lines.indexOf('  live:     app.example.com. A in ZAPP: onprem 100 -> 90, aws 0 -> 10')).toBe(lines.findIndex((l) => l.startsWith('  run:')) + 1);
  });

  it('a failed read says "live weights unavailable", whether the preview reports it or throws', async () => {
    const traffic = new FakeTraffic();
    traffic.live.set(DNS, { aws: 0, onprem: 100 });
    traffic.faults.push({ op: 'read', error: new TrafficError('AccessDenied: not allowed') });
    expect(await stepDetails(dns, previewWith(traffic))).toContain('  live weights unavailable: AccessDenied: not allowed');
    const throwing = async (): Promise<never> => {
      throw new Error('no credentials');
    };
    expect(await stepDetails(dns, throwing)).toContain('  live weights unavailable: no credentials');
  });

  it('other steps, or no preview: no live line and no read', async () => {
    let asked = 0;
    const counting = async () => {
      asked++;
      return undefined;
    };
    expect((await stepDetails(shell, counting)).some((l) => l.includes('live'))).toBe(false);
    expect(asked).toBe(0);
    expect((await stepDetails(dns)).some((l) => l.includes('live'))).toBe(false);
  });
});
