/**
 * The rehearsal gate (src/engine/rehearsal-gate.ts), pure, on journals built from fixtures;
 * and the digests it relies on: a variable marked `env: true` enters them as its name, so a
 * runbook rehearsed in staging matches in production.
 */
import { describe, expect, it } from 'vitest';
import { checkRehearsalGate } from '../../src/engine/rehearsal-gate.js';
import type { NewEvent, RehearsalVerdict } from '../../src/journal/events.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/types.js';
import { buildJournal } from '../helpers/journal-fixtures.js';

const rehearsed = (step: string, digest: string, verdict: RehearsalVerdict): NewEvent => ({
  type: 'rehearsal.step',
  step,
  data: { digest, verdict, phases: { forward: { status: verdict === 'failed' ? 'failed' : 'passed', durationMs: 10 } } },
});

const steps = (...pairs: [string, string][]) => ({ steps: pairs.map(([id, digest]) => ({ id, digest })) });

describe('checkRehearsalGate', () => {
  it('lets through steps whose current digest passed (or is irreversible with its action and verify passing)', () => {
    const { events } = buildJournal([rehearsed('a', 'd-a', 'passed'), rehearsed('b', 'd-b', 'irreversible')]);
    expect(checkRehearsalGate(steps(['a', 'd-a'], ['b', 'd-b']), events)).toEqual({ ok: true });
  });

  it('says why each other step is refused, in runbook order', () => {
    const { events } = buildJournal([
      rehearsed('changed', 'old', 'passed'),
      rehearsed('unverified', 'd-u', 'rollback-unverified'),
      rehearsed('broken', 'd-f', 'failed'),
      rehearsed('fine', 'd-ok', 'passed'),
    ]);
    const result = checkRehearsalGate(steps(['fine', 'd-ok'], ['never', 'd-n'], ['changed', 'new'], ['unverified', 'd-u'], ['broken', 'd-f']), events);
    expect(result).toEqual({
      ok: false,
      steps: [
        { id: 'never', why: 'never rehearsed' },
        { id: 'changed', why: 'definition changed since' },
        { id: 'unverified', why: 'rollback unverified' },
        { id: 'broken', why: 'failed' },
      ],
    });
  });

  it('judges by the newest rehearsal of the current digest', () => {
    const passedThenFailed = buildJournal([rehearsed('a', 'd', 'passed'), rehearsed('a', 'd', 'failed')]).events;
    expect(checkRehearsalGate(steps(['a', 'd']), passedThenFailed)).toEqual({ ok: false, steps: [{ id: 'a', why: 'failed' }] });
    // An edit rehearsed and reverted: the current definition's own rehearsal counts.
    const back = buildJournal([rehearsed('a', 'd1', 'passed'), rehearsed('a', 'd2', 'failed')]).events;
    expect(checkRehearsalGate(steps(['a', 'd1']), back)).toEqual({ ok: true });
  });

  it('refuses everything when there is no rehearsal at all, and ignores other events', () => {
    const { events } = buildJournal([{ type: 'step.succeeded', step: 'a', data: { durationMs: 1 } }]);
    expect(checkRehearsalGate(steps(['a', 'd']), events)).toEqual({ ok: false, steps: [{ id: 'a', why: 'never rehearsed' }] });
    expect(checkRehearsalGate(steps(['a', 'd']), [])).toEqual({ ok: false, steps: [{ id: 'a', why: 'never rehearsed' }] });
  });
});

describe('digests and environments (env: true)', () => {
  const text = `cutover: 1
name: shift
vars:
  zone: { default: ZSTAGING, env: true }
  url: { default: "https://staging.example.com/healthz", env: true }
  replicas: 3
env: { TARGET_ZONE: "\${zone}" }
steps:
  - id: deploy
    run: kubectl scale --replicas \${replicas} deploy/app
    verify: { http: { url: "\${url}" } }
    rollback: kubectl scale --replicas 1 deploy/app
  - id: dns
    run:
      route53: { zone: "\${zone}", name: app.example.com., weights: { onprem: 90, aws: 10 } }
  - id: echo
    run: echo \${zone}
    rollback: "true"
`;
  const load = (vars: string[]): Runbook => {
    const loaded = loadRunbookText('shift.yaml', text, { env: {}, overrides: { flags: vars } });
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    return loaded.runbook;
  };
  const digests = (runbook: Runbook) => runbook.steps.map((s) => s.digest);

  it('does not change when only env-marked values differ (staging vs production), even inside the root env and shell scripts', () => {
    const staging = load([]);
    const production = load(['zone=ZPRODUCTION', 'url=https://app.example.com/healthz']);
    expect(digests(production)).toEqual(digests(staging));
    // The values are still used for running, of course.
    expect(production.steps[2]!.action).toMatchObject({ script: 'echo "${CUTOVER_VAR_zone}"', values: { CUTOVER_VAR_zone: 'ZPRODUCTION' } });
    expect(production.env).toEqual({ TARGET_ZONE: 'ZPRODUCTION' });
  });

  it('changes when a variable that is not env-marked differs', () => {
    const staging = load([]);
    const more = load(['replicas=5']);
    expect(more.steps[0]!.digest).not.toBe(staging.steps[0]!.digest);
    expect(more.steps[1]!.digest).toBe(staging.steps[1]!.digest);
  });

  it('lets a production runbook through the gate on a staging rehearsal when only env values differ', () => {
    const staging = load([]);
    const { events } = buildJournal(
      staging.steps.map((s) => rehearsed(s.id, s.digest, 'passed')),
      'shift',
    );
    expect(checkRehearsalGate(load(['zone=ZPRODUCTION']), events)).toEqual({ ok: true });
    expect(checkRehearsalGate(load(['replicas=5']), events)).toEqual({ ok: false, steps: [{ id: 'deploy', why: 'definition changed since' }] });
  });
});
