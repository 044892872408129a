/**
 * Loading groups, list-of-mapping foreach, typed references, check defaults and gates:
 * what the typed runbook holds, and what its digests cover. The refusals, with their
 * positions, are in the invalid corpus (test/invalid/group-*.yaml, foreach-mapping-*.yaml,
 * weight-reference.yaml, duration-reference.yaml, gate-*.yaml).
 */
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';
import type { Runbook } from '../src/runbook/types.js';

function load(body: string, vars: string[] = [], env: Record<string, string> = {}): Runbook {
  const result = loadRunbookText('t.yaml', `cutover: 1\nname: t\n${body}`, { env, overrides: { flags: vars } });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return result.runbook;
}

const weightStep = (weight: string, bake = '10m') => `steps:
  - id: w
    run:
      route53: { zone: Z1, name: a.example.com., weights: { aws: ${weight} } }
    bake: ${bake}
`;

describe('references in weights and durations', () => {
  it.each([
    ['a literal', '', weightStep('10')],
    ['a var', 'vars: { pct: 10, b: 10m }\n', weightStep('"${pct}"', '${b}')],
    [
      'a foreach field',
      '',
      `steps:
  - id: w\${s.x}
    foreach: { s: [{x: "", pct: 10, bake: 10m}] }
    run:
      route53: { zone: Z1, name: a.example.com., weights: { aws: "\${s.pct}" } }
    bake: \${s.bake}
`,
    ],
  ])('%s gives the same typed step and digest', (_name, vars, steps) => {
    const literal = load(weightStep('10')).steps[0];
    const step = load(`${vars}${steps}`).steps[0];
    expect(step?.action).toEqual(literal?.action);
    expect(step?.bakeMs).toBe(600_000);
    expect(step?.digest).toBe(literal?.digest);
  });

  it('the digest changes with the value of the reference', () => {
    const body = `vars: { pct: 10, b: 10m }\n${weightStep('"${pct}"', '${b}')}`;
    const base = load(body).steps[0]?.digest;
    expect(load(body, ['pct=20']).steps[0]?.digest).not.toBe(base);
    expect(load(body, ['b=20m']).steps[0]?.digest).not.toBe(base);
    expect(load(body, ['pct=20']).steps[0]?.action).toMatchObject({ weights: { aws: 20 } });
  });

  it('a value marked env: true enters the digest as its reference, like everywhere else', () => {
    const body = `vars: { pct: { default: 10, env: true } }\n${weightStep('"${pct}"')}`;
    expect(load(body, ['pct=20']).steps[0]?.digest).toBe(load(body).steps[0]?.digest);
    expect(load(body, ['pct=20']).steps[0]?.action).toMatchObject({ weights: { aws: 20 } });
  });

  it('types every duration of a step: timeout, retry delay, wait, check retry and http timings', () => {
    const step = load(`vars: { d: 2m }
steps:
  - id: a
    run: { wait: "\${d}" }
    timeout: \${d}
    retry: { attempts: 2, delay: "\${d}" }
    verify:
      http: { url: "https://x", interval: "\${d}", timeout: "\${d}" }
      retryFor: \${d}
      interval: \${d}
    rollback: none
    irreversible: a wait
`).steps[0];
    expect(step).toMatchObject({ action: { kind: 'wait', durationMs: 120_000 }, timeoutMs: 120_000, retry: { delayMs: 120_000 } });
    expect(step?.verify?.[0]).toMatchObject({ intervalMs: 120_000, timeoutMs: 120_000, retry: { forMs: 120_000, intervalMs: 120_000 } });
  });
});

describe('foreach over a list of mappings', () => {
  it('expands one step per item, each with its fields, own id and digest', () => {
    const runbook = load(`steps:
  - id: aws-\${step.pct}
    foreach: { step: [{pct: 1, bake: 10m}, {pct: 5, bake: 30m}] }
    title: Send \${step.pct}% to AWS for \${step.bake}
    run: echo \${step.pct}
    rollback: echo undo \${step.pct}
    bake: \${step.bake}
`);
    expect(runbook.steps.map((s) => [s.id, s.title, s.bakeMs])).toEqual([
      ['aws-1', 'Send 1% to AWS for 10m', 600_000],
      ['aws-5', 'Send 5% to AWS for 30m', 1_800_000],
    ]);
    // In shell scripts a field travels in the environment, like any value.
    expect(runbook.steps[0]?.action).toMatchObject({ kind: 'shell', script: 'echo "${CUTOVER_VAR_step__pct}"', values: { CUTOVER_VAR_step__pct: '1' } });
    expect(runbook.steps[0]?.digest).not.toBe(runbook.steps[1]?.digest);
  });
});

describe('groups', () => {
  const group = (label = '') => `vars: { shards: [s-00, s-01] }
steps:
  - group: move
    foreach: { shard: "\${shards}" }
${label}    steps:
      - id: pause
        run: echo pause \${shard}
        rollback: echo resume \${shard}
      - id: switch
        run: echo switch \${shard}
        rollback: echo back \${shard}
`;

  it('expands item after item to <group>-<item>-<step>', () => {
    const runbook = load(group());
    expect(runbook.steps.map((s) => s.id)).toEqual(['move-s-00-pause', 'move-s-00-switch', 'move-s-01-pause', 'move-s-01-switch']);
    expect(runbook.steps.map((s) => s.group)).toEqual([
      { id: 'move', item: 's-00', index: 1, of: 2 },
      { id: 'move', item: 's-00', index: 1, of: 2 },
      { id: 'move', item: 's-01', index: 2, of: 2 },
      { id: 'move', item: 's-01', index: 2, of: 2 },
    ]);
    // Each step is positioned where it is written.
    expect(runbook.steps.map((s) => s.source.line)).toEqual([8, 11, 8, 11]);
  });

  it('a label template names mapping items; the group is not in the digest (the id says it)', () => {
    const mapped = load(`steps:
  - group: move
    foreach: { shard: [{name: s-00, lag: 1}] }
    label: db-\${shard.name}
    steps:
      - id: pause
        run: echo pause s-00
        rollback: echo resume s-00
`);
    expect(mapped.steps.map((s) => s.id)).toEqual(['move-db-s-00-pause']);
    const plain = load(`steps:
  - id: move-db-s-00-pause
    run: echo pause s-00
    rollback: echo resume s-00
`);
    expect(mapped.steps[0]?.digest).toBe(plain.steps[0]?.digest);
  });
});

describe('check defaults and gates', () => {
  it("defaults carry precheck, verify and watch (for steps that bake); a step's own key replaces them", () => {
    const runbook = load(`defaults:
  precheck: echo pre
  verify: echo ok
  watch: echo watching
steps:
  - id: a
    run: echo a
    rollback: echo undo
    bake: 1m
  - id: b
    run: echo b
    rollback: echo undo
    verify: echo own
`);
    const scripts = (check: unknown) => (check as { script: string }[] | undefined)?.map((c) => c.script);
    expect(runbook.steps.map((s) => [scripts(s.precheck), scripts(s.verify), scripts(s.watch)])).toEqual([
      [['echo pre'], ['echo ok'], ['echo watching']],
      // No bake, no watch: the default watch goes to steps that bake.
      [['echo pre'], ['echo own'], undefined],
    ]);
  });

  it('a step without run is a gate: its checks only, nothing to undo', () => {
    const step = load(`steps:
  - id: gate
    verify: echo ok
`).steps[0];
    expect(step).toMatchObject({ action: { kind: 'gate' }, rollback: { kind: 'none' } });
  });

  it('a gate can take its checks from the defaults', () => {
    expect(load(`defaults: { verify: echo ok }\nsteps:\n  - id: gate\n`).steps[0]?.action.kind).toBe('gate');
  });
});
