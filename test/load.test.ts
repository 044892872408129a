import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookFile, loadRunbookText } from '../src/runbook/load.js';
import type { LoadOptions, LoadResult } from '../src/runbook/load.js';
import type { Runbook, ShellAction } from '../src/runbook/types.js';
import { displayScript } from '../src/runbook/shell-values.js';
import { maskedForms } from '../src/runbook/resolve.js';

function load(text: string, options: LoadOptions = {}): LoadResult {
  return loadRunbookText('rb.yaml', text, { env: {}, ...options });
}

function valid(text: string, options: LoadOptions = {}): Runbook {
  const result = load(text, options);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return result.runbook;
}

function errors(result: LoadResult) {
  return result.diagnostics.filter((d) => d.severity === 'error').map(({ file, line, col, rule, message }) => ({ file, line, col, rule, message }));
}

const withVars = `cutover: 1
name: t
vars:
  zone: Z-DEFAULT
  record: app.example.com.
  region: eu-west-1
steps:
  - id: show
    run: echo \${zone} \${record} \${region}
    rollback: none
    irreversible: only prints
`;

describe('variable overrides', () => {
  // The script as plan shows it: each carried value written in, shell-quoted where needed.
  const script = (runbook: Runbook) => displayScript(runbook.steps[0]?.action as ShellAction);

  it('uses the defaults without overrides', () => {
    expect(script(valid(withVars))).toBe('echo Z-DEFAULT app.example.com. eu-west-1');
  });

  it('applies --vars-file, then --var, the last flag winning', () => {
    const runbook = valid(withVars, {
      overrides: { file: { path: 'vars.yaml', values: { zone: 'Z-FILE', record: 'file.example.com.' } }, flags: ['zone=Z-FLAG', 'zone=Z-LAST'] },
    });
    expect(script(runbook)).toBe('echo Z-LAST file.example.com. eu-west-1');
  });

  it('keeps = inside a --var value and shell-quotes it', () => {
    expect(script(valid(withVars, { overrides: { flags: ['region=a=b c'] } }))).toBe("echo Z-DEFAULT app.example.com. 'a=b c'");
  });

  it('turns vars-file numbers and booleans into strings', () => {
    expect(script(valid(withVars, { overrides: { flags: [], file: { path: 'v.yaml', values: { zone: 42, region: true } } } }))).toBe(
      'echo 42 app.example.com. true',
    );
  });

  it('reports an unknown --var name, listing the declared ones', () => {
    expect(errors(load(withVars, { overrides: { flags: ['zonee=Z1'] } }))).toEqual([
      {
        file: '--var',
        line: 0,
        col: 0,
        rule: 'unknown-override',
        message: '"zonee" is not a variable of this runbook; declare it under "vars:" or fix the name (declared: zone, record, region)',
      },
    ]);
  });

  it('reports an unknown name in the vars file against that file', () => {
    expect(errors(load(withVars, { overrides: { flags: [], file: { path: 'prod.yaml', values: { regoin: 'x' } } } }))).toMatchObject([
      { file: 'prod.yaml', line: 0, rule: 'unknown-override' },
    ]);
  });

  it('refuses a vars-file value with no text form, instead of inserting "[object Object]"', () => {
    expect(errors(load(withVars, { overrides: { flags: [], file: { path: 'v.yaml', values: { zone: { id: 'Z1' }, record: null } } } }))).toEqual([
      // Sorted by message: neither has a line in the vars file.
      {
        file: 'v.yaml',
        line: 0,
        col: 0,
        rule: 'bad-override',
        message: '"record" is an empty value; a variable\'s value is a string, a number, true/false or a list of those',
      },
      {
        file: 'v.yaml',
        line: 0,
        col: 0,
        rule: 'bad-override',
        message: '"zone" is a mapping; a variable\'s value is a string, a number, true/false or a list of those',
      },
    ]);
  });

  it('reports a --var without =', () => {
    expect(errors(load(withVars, { overrides: { flags: ['zone'] } }))).toEqual([
      { file: '--var', line: 0, col: 0, rule: 'bad-override', message: '"zone" is not name=value' },
    ]);
  });

  it('needs a value for every referenced var when resolving, only warns when validating', () => {
    const text = withVars.replace('  region: eu-west-1', '  region: { description: where to deploy }');
    const resolving = load(text, { mode: 'resolve' });
    expect(errors(resolving)).toEqual([
      { file: 'rb.yaml', line: 9, col: 33, rule: 'var-without-value', message: 'variable "region" has no value; pass --var region=... or give it a default' },
    ]);
    const validating = load(text, { mode: 'validate' });
    expect(validating.ok).toBe(true);
    expect(validating.diagnostics).toMatchObject([{ severity: 'warning', rule: 'var-without-value', line: 9, col: 33 }]);
    expect(load(text, { mode: 'resolve', overrides: { flags: ['region=us-east-1'] } }).ok).toBe(true);
  });

  it('read-only loads need no value for a var only steps use: those steps get an unknown digest and name the var', () => {
    const text = `${withVars.replace('  region: eu-west-1', '  region: { description: where to deploy }')}  - id: other\n    run: echo \${zone}\n    rollback: none\n    irreversible: only prints\n`;
    const reading = load(text, { mode: 'read' });
    expect(reading.ok && reading.diagnostics).toEqual([]);
    const runbook = valid(text, { mode: 'read' });
    const using = runbook.steps.filter((step) => step.unresolved !== undefined);
    expect(using.map((step) => [step.id, step.digest, step.unresolved])).toEqual([['show', '', ['region']]]);
    expect(runbook.steps.find((s) => s.id === 'other')?.digest).toMatch(/^sha256:/);
    // The other steps keep the digest a full load gives them.
    const full = valid(text, { mode: 'resolve', overrides: { flags: ['region=us-east-1'] } });
    for (const step of runbook.steps.filter((s) => s.unresolved === undefined)) expect(step.digest).toBe(full.steps.find((s) => s.id === step.id)?.digest);
  });

  it('read-only loads still need the values that locate the journal and name the steps', () => {
    const journal = `${withVars.replace('  region: eu-west-1', '  region: {}\n  bucket: {}')}journal: s3://\${bucket}/j.jsonl\n`;
    expect(errors(load(journal, { mode: 'read' })).map((d) => d.rule)).toEqual(['var-without-value']);
    const list = `cutover: 1\nname: t\nvars:\n  shards: {}\nsteps:\n  - id: s-\${shard}\n    foreach: { shard: "\${shards}" }\n    run: echo \${shard}\n    rollback: echo undo\n`;
    for (const mode of ['read', 'resolve'] as const) {
      expect(errors(load(list, { mode })), mode).toEqual([
        {
          file: 'rb.yaml',
          line: 7,
          col: 23,
          rule: 'var-without-value',
          message: 'variable "shards" has no value; it is a list, which --var cannot set: put it in a --vars-file (shards: [a, b]) or give it a default',
        },
      ]);
    }
    expect(load(list, { mode: 'validate' }).ok).toBe(true);
  });

  it('needs the environment when resolving, only warns when validating', () => {
    const text = withVars.replace('echo ${zone}', 'echo ${env.DEPLOY_TOKEN}');
    expect(errors(load(text, { mode: 'resolve' }))).toMatchObject([
      { line: 9, col: 15, rule: 'unset-env', message: 'environment variable DEPLOY_TOKEN is not set; export it before running' },
    ]);
    expect(load(text, { mode: 'validate' }).diagnostics).toMatchObject([{ severity: 'warning', rule: 'unset-env' }]);
    const runbook = valid(text, { env: { DEPLOY_TOKEN: 'abc' } });
    expect(script(runbook)).toBe('echo abc app.example.com. eu-west-1');
  });

  it('masks secret vars and secret env vars', () => {
    const text = `cutover: 1
name: t
secrets: [DB_PASSWORD]
vars:
  token: { default: s3cret, secret: true }
steps:
  - id: a
    run: login \${token} "\${env.DB_PASSWORD}"
    rollback: logout
`;
    const runbook = valid(text, { env: { DB_PASSWORD: 'pw' } });
    // Each secret in every form output can show it (maskedForms: base64 too).
    expect(runbook.secrets).toEqual({ envNames: ['DB_PASSWORD'], values: [...new Set([...maskedForms('s3cret'), ...maskedForms('pw')])] });
    expect(runbook.secrets.values).toContain('czNjcmV0');
    // An override keeps the variable secret.
    expect(valid(text, { env: {}, mode: 'validate', overrides: { flags: ['token=rotated'] } }).secrets.values).toEqual(maskedForms('rotated'));
  });

  it('masks each item of a secret list variable', () => {
    const text = `cutover: 1
name: t
vars:
  keys: { default: [k-alpha-1, k-beta-2], secret: true }
  hosts: [web-1, web-2]
steps:
  - id: rotate-\${host}
    foreach: { host: "\${hosts}" }
    run: rotate \${host}
    rollback: restore
`;
    expect(valid(text).secrets.values).toEqual([...maskedForms('k-alpha-1'), ...maskedForms('k-beta-2')]);
  });

  it('refuses a secret list as the source of a foreach: its items would become step ids', () => {
    const text = `cutover: 1
name: t
vars:
  keys: { default: [k-alpha-1, k-beta-2], secret: true }
steps:
  - id: rotate-\${key}
    foreach: { key: "\${keys}" }
    run: rotate \${key}
    rollback: restore
`;
    expect(errors(load(text, { mode: 'validate' }))).toMatchObject([
      { line: 7, col: 21, rule: 'foreach', message: expect.stringContaining('variable "keys" is secret, and foreach makes each item part of a step id') },
    ]);
    // Whatever the value, from the runbook, a vars file or (for a plan) the command line.
    expect(load(text, { overrides: { flags: [], file: { path: 'v.yaml', values: { keys: ['a', 'b'] } } } }).ok).toBe(false);
  });

  it('reads --vars-file and a runbook from disk', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cutover-load-'));
    const file = path.join(dir, 'rb.yaml');
    writeFileSync(file, withVars);
    const result = await loadRunbookFile(file, { env: {}, overrides: { flags: ['record=disk.example.com.'] } });
    expect(result.ok && result.runbook.file).toBe(file);
    expect(result.ok && script(result.runbook)).toBe('echo Z-DEFAULT disk.example.com. eu-west-1');
  });
});

describe('foreach', () => {
  it('expands a literal list in order, with the item everywhere, pointing at the template', () => {
    const runbook = valid(`cutover: 1
name: t
steps:
  - id: first
    run: echo first
    rollback: echo undo
  - id: k8s-\${app}
    title: Move \${app}
    foreach: { app: [billing, mail, 7] }
    run: kubectl apply -f k8s/\${app}.yaml
    verify: { exec: [kubectl, get, "deploy/\${app}"] }
    rollback: kubectl delete -f k8s/\${app}.yaml
`);
    expect(runbook.steps.map((s) => s.id)).toEqual(['first', 'k8s-billing', 'k8s-mail', 'k8s-7']);
    const mail = runbook.steps[2];
    expect(mail).toMatchObject({
      title: 'Move mail',
      action: { kind: 'shell', script: 'kubectl apply -f k8s/"${CUTOVER_VAR_app}".yaml', values: { CUTOVER_VAR_app: 'mail' } },
      verify: [{ kind: 'exec', argv: ['kubectl', 'get', 'deploy/mail'] }],
      rollback: { kind: 'action', run: { kind: 'shell', script: 'kubectl delete -f k8s/"${CUTOVER_VAR_app}".yaml', values: { CUTOVER_VAR_app: 'mail' } } },
      source: { line: 7, col: 5 },
      foreach: { name: 'app', value: 'mail' },
    });
    const digests = new Set(runbook.steps.map((s) => s.digest));
    expect(digests.size).toBe(4);
  });

  it('expands a list var, which --vars-file can replace', () => {
    const text = `cutover: 1
name: t
vars:
  apps: [billing, mail]
steps:
  - id: k8s-\${app}
    foreach: { app: "\${apps}" }
    run: deploy \${app}
    rollback: undeploy \${app}
`;
    expect(valid(text).steps.map((s) => s.id)).toEqual(['k8s-billing', 'k8s-mail']);
    const overridden = valid(text, { overrides: { flags: [], file: { path: 'v.yaml', values: { apps: ['survey', 'wiki', 'chat'] } } } });
    expect(overridden.steps.map((s) => s.id)).toEqual(['k8s-survey', 'k8s-wiki', 'k8s-chat']);
  });

  it('carries items to scripts in the environment, and inserts them in ids and exec argv', () => {
    const runbook = valid(`cutover: 1
name: t
steps:
  - id: s-\${n}
    foreach: { n: [a1] }
    run: echo \${n}
    rollback: { exec: [echo, "\${n} x"] }
`);
    expect(runbook.steps[0]).toMatchObject({
      id: 's-a1',
      action: { script: 'echo "${CUTOVER_VAR_n}"', values: { CUTOVER_VAR_n: 'a1' } },
      rollback: { run: { kind: 'exec', argv: ['echo', 'a1 x'] } },
    });
  });

  it('reports an item that makes an invalid id, at the item', () => {
    expect(errors(load(`cutover: 1\nname: t\nsteps:\n  - id: s-\${n}\n    foreach: { n: [ok, "Not OK"] }\n    run: echo\n    rollback: echo\n`))).toMatchObject(
      [{ line: 5, col: 24, rule: 'foreach-id' }],
    );
  });
});

describe('defaults', () => {
  const text = `cutover: 1
name: t
defaults:
  timeout: 5m
  confirm: false
  onFailure: stop
  retry: { attempts: 3, delay: 10s }
steps:
  - id: inherits
    run: echo a
    rollback: echo b
  - id: overrides
    run: echo a
    rollback: echo b
    timeout: 90s
    confirm: true
    onFailure: rollback-all
    retry: { attempts: 2 }
`;

  it('apply to steps that do not set the field', () => {
    const [inherits, overrides] = valid(text).steps;
    expect(inherits).toMatchObject({ timeoutMs: 300_000, confirm: false, onFailure: 'stop', retry: { attempts: 3, delayMs: 10_000 } });
    expect(overrides).toMatchObject({ timeoutMs: 90_000, confirm: true, onFailure: 'rollback-all', retry: { attempts: 2, delayMs: 0 } });
  });

  it('have built-in values when the runbook sets none', () => {
    const [step] = valid('cutover: 1\nname: t\nsteps:\n  - id: a\n    run: echo\n    rollback: echo\n').steps;
    expect(step).toMatchObject({ timeoutMs: 30 * 60_000, confirm: true, onFailure: 'ask', retry: { attempts: 1, delayMs: 0 } });
    expect(step?.bakeMs).toBeUndefined();
  });
});

describe('rollbacks', () => {
  const route53 = 'route53: { zone: Z1, name: app.example.com., weights: { onprem: 90, aws: 10 } }';

  it('are derived for route53 and elbv2 steps', () => {
    const runbook = valid(`cutover: 1
name: t
steps:
  - id: dns
    run: { ${route53} }
  - id: lb
    run: { elbv2: { rule: "arn:aws:elasticloadbalancing:rule/x", weights: { blue: 1, green: 0 } } }
  - id: dns-verified
    run: { ${route53} }
    rollback:
      verify: dig +short app.example.com.
`);
    expect(runbook.steps.map((s) => s.rollback)).toEqual([
      { kind: 'derived' },
      { kind: 'derived' },
      { kind: 'derived', verify: [{ kind: 'shell', script: 'dig +short app.example.com.', shell: 'sh', env: {} }] },
    ]);
    expect(runbook.steps[0]?.action).toEqual({
      kind: 'route53',
      zone: 'Z1',
      name: 'app.example.com.',
      type: 'A',
      weights: { onprem: 90, aws: 10 },
      wait: true,
      allowAllZero: false,
    });
    expect(runbook.steps[1]?.action).toEqual({
      kind: 'elbv2',
      target: { kind: 'rule', arn: 'arn:aws:elasticloadbalancing:rule/x' },
      weights: { blue: 1, green: 0 },
    });
  });

  it('take references in weight keys, checked like any other reference, and digested as references', () => {
    const text = (key: string) => `cutover: 1
name: t
vars: { new_pool: aws-eu }
steps:
  - id: lb-\${pool}
    foreach: { pool: [blue, green] }
    run: { elbv2: { listener: "arn:aws:elasticloadbalancing:listener/x", weights: { "\${pool}": 10, ${key}: 90 } } }
`;
    const runbook = valid(text('"${new_pool}"'));
    expect(runbook.steps.map((s) => s.action)).toEqual([
      { kind: 'elbv2', target: { kind: 'listener', arn: 'arn:aws:elasticloadbalancing:listener/x' }, weights: { blue: 10, 'aws-eu': 90 } },
      { kind: 'elbv2', target: { kind: 'listener', arn: 'arn:aws:elasticloadbalancing:listener/x' }, weights: { green: 10, 'aws-eu': 90 } },
    ]);
    const unknown = load(text('"${new_pol}"'));
    expect(unknown.ok).toBe(false);
    expect(unknown.diagnostics).toMatchObject([{ rule: 'unknown-var', line: 7, col: 100, message: expect.stringContaining('did you mean "${new_pool}"') }]);
    // Values from the environment are digested as their reference, so every machine agrees.
    const fromEnv = (value: string) => valid(text('"${env.POOL}"'), { env: { POOL: value } }).steps[0]!;
    expect(fromEnv('a').digest).toBe(fromEnv('b').digest);
    expect(fromEnv('a').action).toMatchObject({ weights: { blue: 10, a: 90 } });
  });

  it('can be given explicitly for a traffic step', () => {
    const [step] = valid(
      `cutover: 1\nname: t\nsteps:\n  - id: dns\n    run: { ${route53} }\n    rollback: { ${route53.replace('90', '100').replace('10 }', '0 }')} }\n`,
    ).steps;
    expect(step?.rollback).toMatchObject({ kind: 'action', run: { kind: 'route53', weights: { onprem: 100, aws: 0 } } });
  });

  it('are none with irreversible', () => {
    const [step] = valid(
      'cutover: 1\nname: t\nsteps:\n  - id: a\n    run: { manual: Look. }\n    rollback: none\n    irreversible: a look has nothing to undo\n',
    ).steps;
    expect(step?.rollback).toEqual({ kind: 'none', reason: 'a look has nothing to undo' });
  });

  it('take {run, verify}', () => {
    const [step] = valid('cutover: 1\nname: t\nsteps:\n  - id: a\n    run: touch f\n    rollback:\n      run: rm f\n      verify: test ! -e f\n').steps;
    expect(step?.rollback).toMatchObject({ kind: 'action', run: { kind: 'shell', script: 'rm f' }, verify: [{ kind: 'shell', script: 'test ! -e f' }] });
  });
});

describe('traffic weights of 0', () => {
  // Whether the weights after a step are all 0 depends on the live sets it does not name:
  // only the run-time check, on the merged weights, can tell (test/actions/route53.test.ts).
  it.each([
    ['some of them', '{ onprem: 0, aws: 100 }'],
    ['every weight the step names', '{ onprem: 0 }'],
    ['every weight the step names, several', '{ onprem: 0, dr: 0 }'],
  ])('are valid for %s, with no warning', (_what, weights) => {
    const result = load(`cutover: 1
name: t
steps:
  - id: dns
    run: { route53: { zone: Z1, name: app.example.com., weights: ${weights} } }
`);
    expect(result.ok).toBe(true);
    expect(result.diagnostics).toEqual([]);
  });
});

describe('checks', () => {
  it('resolve http defaults and retry', () => {
    const [step] = valid(`cutover: 1
name: t
steps:
  - id: a
    run: echo
    rollback: echo
    verify:
      - http: { url: "https://a/healthz", expectStatus: [200, 204], samples: 5, minSuccess: 0.8, interval: 2s }
        retryFor: 2m
      - { sh: test -f x, retryFor: 30s, interval: 5s }
`).steps;
    expect(step?.verify).toEqual([
      {
        kind: 'http',
        url: 'https://a/healthz',
        method: 'GET',
        headers: {},
        expectStatus: [200, 204],
        samples: 5,
        minSuccess: 0.8,
        intervalMs: 2_000,
        timeoutMs: 10_000,
        retry: { forMs: 120_000, intervalMs: 10_000 },
      },
      { kind: 'shell', script: 'test -f x', shell: 'sh', env: {}, retry: { forMs: 30_000, intervalMs: 5_000 } },
    ]);
  });
});

describe('strict', () => {
  const text = 'cutover: 1\nname: t\nsteps:\n  - id: a\n    run: echo\n    rollback: echo\n';

  it('reports steps without verify only when asked', () => {
    expect(load(text, { mode: 'validate' }).ok).toBe(true);
    expect(errors(load(text, { mode: 'validate', strict: true }))).toEqual([
      { file: 'rb.yaml', line: 4, col: 9, rule: 'no-verify', message: 'step "a" has no verify; add a check that proves the step worked (--strict)' },
    ]);
  });
});

describe('warnings', () => {
  it('flag watch without bake but keep the runbook valid', () => {
    const result = load('cutover: 1\nname: t\nsteps:\n  - id: a\n    run: echo\n    rollback: echo\n    watch: curl -f https://a/\n');
    expect(result.ok).toBe(true);
    expect(result.diagnostics).toMatchObject([{ severity: 'warning', rule: 'watch-without-bake', line: 7, col: 5 }]);
  });

  it('flag interval without retryFor, in single checks and in lists', () => {
    const result = load(`cutover: 1
name: t
steps:
  - id: a
    run: echo
    verify: { sh: "true", interval: 5s }
    rollback:
      run: echo
      verify: [{ sh: "true", interval: 5s, retryFor: 1m }, { sh: "true", interval: 2s }]
`);
    expect(result.ok).toBe(true);
    expect(result.diagnostics).toMatchObject([
      { severity: 'warning', rule: 'interval-without-retry', line: 6, col: 27 },
      { severity: 'warning', rule: 'interval-without-retry', line: 9, col: 74 },
    ]);
  });
});
