import { beforeEach, describe, expect, it, vi } from 'vitest';
import { canonicalJson, shortDigest, stepDigest } from '../src/runbook/digest.js';
import type * as DigestModule from '../src/runbook/digest.js';
import type { DigestInput } from '../src/runbook/digest.js';
import { loadRunbookText } from '../src/runbook/load.js';
import type { LoadOptions } from '../src/runbook/load.js';

// Records what the loader hashes, so a test can look inside the digest input.
const hashed = vi.hoisted(() => [] as unknown[]);
vi.mock('../src/runbook/digest.js', async (importOriginal) => {
  const actual = await importOriginal<typeof DigestModule>();
  return {
    ...actual,
    stepDigest: (input: DigestInput) => {
      hashed.push(input);
      return actual.stepDigest(input);
    },
  };
});

beforeEach(() => {
  hashed.length = 0;
});

function runbook(step: string, head = ''): string {
  return `cutover: 1\nname: d\n${head}steps:\n${step}`;
}

function firstStep(text: string, options: LoadOptions = {}) {
  const result = loadRunbookText('d.yaml', text, { env: { HOME: '/home/one' }, ...options });
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.runbook.steps[0] as NonNullable<(typeof result.runbook.steps)[0]>;
}

const base = `  - id: a
    title: Copy the data
    description: Byte for byte.
    run: cp -R src dst
    rollback: rm -rf dst
`;

describe('step digest', () => {
  it('has the sha256: form', () => {
    expect(firstStep(runbook(base)).digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('does not change with the title or description', () => {
    const reworded = base.replace('Copy the data', 'Copy all of the data').replace('Byte for byte.', 'Same files.');
    const withoutBoth = base.replace(/ {4}title:.*\n {4}description:.*\n/, '');
    expect(firstStep(runbook(reworded)).digest).toBe(firstStep(runbook(base)).digest);
    expect(firstStep(runbook(withoutBoth)).digest).toBe(firstStep(runbook(base)).digest);
  });

  it('does not change with comments, quoting or the step position in the file', () => {
    const restyled = `# a comment\n\n  - { id: "a", run: 'cp -R src dst', rollback: rm -rf dst }  # trailing\n`;
    expect(firstStep(runbook(restyled)).digest).toBe(firstStep(runbook(base)).digest);
  });

  it.each([
    ['the command', base.replace('cp -R src dst', 'cp -a src dst')],
    ['the rollback', base.replace('rm -rf dst', 'rm -r dst')],
    ['the id', base.replace('id: a', 'id: b')],
    ['a timeout', `${base}    timeout: 1m\n`],
    ['onFailure', `${base}    onFailure: stop\n`],
    ['a verify', `${base}    verify: test -d dst\n`],
  ])('changes with %s', (_what, changed) => {
    expect(firstStep(runbook(changed)).digest).not.toBe(firstStep(runbook(base)).digest);
  });

  it('keeps ${env.X} as a reference, so each machine computes the same digest', () => {
    const text = runbook(`  - id: a\n    run: ls \${env.HOME}/.kube\n    rollback: none\n    irreversible: only looks\n`);
    const one = firstStep(text, { env: { HOME: '/home/one' } });
    const two = firstStep(text, { env: { HOME: '/Users/two' } });
    expect(one.action).toMatchObject({ script: 'ls "${CUTOVER_ENV_HOME}"/.kube', values: { CUTOVER_ENV_HOME: '/home/one' } });
    expect(two.action).toMatchObject({ script: 'ls "${CUTOVER_ENV_HOME}"/.kube', values: { CUTOVER_ENV_HOME: '/Users/two' } });
    expect(two.digest).toBe(one.digest);
    expect(JSON.stringify(hashed)).toContain('${env.HOME}');
    expect(JSON.stringify(hashed)).not.toContain('/home/one');
  });

  it('changes with a normal variable value', () => {
    const text = runbook(`  - id: a\n    run: deploy \${tag}\n    rollback: undeploy \${tag}\n`, 'vars: { tag: v1 }\n');
    expect(firstStep(text, { overrides: { flags: ['tag=v2'] } }).digest).not.toBe(firstStep(text).digest);
  });

  it('never sees the value of a secret variable', () => {
    const text = runbook(
      `  - id: a\n    run: login --password \${password}\n    rollback: logout\n`,
      'vars:\n  password: { default: hunter2, secret: true }\n',
    );
    const step = firstStep(text);
    expect(step.action).toMatchObject({ script: 'login --password "${CUTOVER_VAR_password}"', values: { CUTOVER_VAR_password: 'hunter2' } });
    expect(hashed).not.toHaveLength(0);
    expect(JSON.stringify(hashed)).not.toContain('hunter2');
    expect(JSON.stringify(hashed)).toContain('${password}');
    // Rotating the secret is not changing the step.
    expect(firstStep(text, { overrides: { flags: ['password=correct-horse'] } }).digest).toBe(step.digest);
  });

  it('leaves out title, description, source and foreach', () => {
    firstStep(runbook(`  - id: k-\${app}\n    title: T\n    description: D\n    foreach: { app: [x] }\n    run: echo \${app}\n    rollback: echo\n`));
    const input = hashed[0] as Record<string, unknown>;
    expect(Object.keys(input)).not.toContain('title');
    expect(Object.keys(input)).not.toContain('description');
    expect(Object.keys(input)).not.toContain('source');
    expect(Object.keys(input)).not.toContain('foreach');
    expect(input.id).toBe('k-x');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"z":1}]},"b":1}');
  });

  it('gives the same text for the same data in another key order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe('stepDigest and shortDigest', () => {
  it('is the sha256 of the canonical JSON', () => {
    const input = { id: 'a' } as unknown as DigestInput;
    // printf '{"id":"a"}' | sha256sum
    expect(stepDigest(input)).toBe('sha256:8489a5deb454a360345c7868bca8672de92b446caf3d3b014af6a56e3d549d30');
    expect(shortDigest(stepDigest(input))).toBe('8489a5deb454');
  });
});
