/**
 * Properties of the loader over generated input: no YAML text makes it throw, digests
 * depend on what a step does and not on how it is written, and shell quoting round-trips.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRunbookText } from '../src/runbook/load.js';
import type { LoadResult } from '../src/runbook/load.js';
import { shellQuote } from '../src/runbook/interpolate.js';

const quickstart = readFileSync(new URL('../examples/quickstart.yaml', import.meta.url), 'utf8');
const env = { HOME: '/home/tester', USER: 'tester' };

/** The loader's contract: a runbook, or positioned diagnostics with a message each. */
function assertWellFormed(result: LoadResult): void {
  if (result.ok) {
    if (result.runbook.steps.length === 0) throw new Error('ok without steps');
    for (const step of result.runbook.steps) {
      if (!/^sha256:[0-9a-f]{64}$/.test(step.digest)) throw new Error(`bad digest ${step.digest}`);
    }
    return;
  }
  if (!result.diagnostics.some((d) => d.severity === 'error')) throw new Error('not ok without an error');
  for (const d of result.diagnostics) {
    if (!Number.isInteger(d.line) || d.line < 0 || !Number.isInteger(d.col) || d.col < 0) throw new Error(`bad position ${d.line}:${d.col}`);
    if (typeof d.message !== 'string' || d.message.trim() === '') throw new Error(`empty message for rule ${d.rule}`);
  }
}

function load(text: string): LoadResult {
  return loadRunbookText('fuzz.yaml', text, { mode: 'validate', env });
}

// Characters that steer the YAML parser and the interpolation into their corners.
const yamlChar = fc.constantFrom(
  ...[
    ':',
    '-',
    ' ',
    ' ',
    '\n',
    '\t',
    '{',
    '}',
    '[',
    ']',
    ',',
    '"',
    "'",
    '&',
    '*',
    '!',
    '#',
    '|',
    '>',
    '?',
    '%',
    '@',
    '`',
    '$',
    '${',
    '$${',
    '}',
    '\\',
    'a',
    'z',
    '1',
    '0',
    '.',
    'cutover',
    'steps',
    'run',
    'id',
    '~',
    '\u00e9',
    '\ufeff',
  ],
);

describe('loadRunbookText never throws', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => assertWellFormed(load(text))),
      { numRuns: 400 },
    );
  });

  it('on strings made of YAML punctuation', () => {
    fc.assert(
      fc.property(fc.string({ unit: yamlChar, maxLength: 120 }), (text) => assertWellFormed(load(text))),
      { numRuns: 400 },
    );
  });

  it('on YAML generated from random values', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), (value) => {
        let text: string | undefined;
        try {
          text = stringify(value) as string | undefined;
        } catch {
          return; // Not every JS value has a YAML form; nothing to load.
        }
        if (typeof text === 'string') assertWellFormed(load(text)); // undefined has none either
      }),
      { numRuns: 300 },
    );
  });

  it('on runbook-shaped YAML with random values in its fields', () => {
    // Typical values are valid, so the loader's valid side is reached too; the rest are noise.
    const noise = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        'none',
        '${x}',
        '${list}',
        '${env.HOME}',
        '${nope}',
        '10x',
        'Bad_Id',
        'k8s-${app}',
        '$${',
        '(',
        [],
        {},
        { app: ['p', 'q'] },
        { app: '${list}' },
      ),
    );
    const field = <T>(typical: fc.Arbitrary<T>) => fc.oneof({ weight: 15, arbitrary: typical }, { weight: 1, arbitrary: noise });
    const weights = (max: number) => fc.dictionary(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max }), { minKeys: 1 });
    const action = fc.oneof(
      fc.constantFrom('echo hi', 'echo ${x}', { sh: 'echo', cwd: '/tmp' }, { exec: ['echo', '${x}'] }, { manual: 'look' }, { wait: '1h30m' }),
      fc.record({ route53: fc.record({ zone: fc.constant('Z1'), name: fc.constant('a.'), weights: weights(255), allowAllZero: fc.constant(true) }) }),
      fc.record({ elbv2: fc.record({ rule: fc.constant('arn'), weights: weights(999) }) }),
    );
    const step = fc.record(
      {
        title: field(fc.constantFrom('Title ${x}', 'Plain')),
        run: field(action),
        verify: field(fc.constantFrom('true', { http: { url: 'https://h/', bodyMatches: 'ok', interval: '1s' } }, [{ exec: ['true'], retryFor: '1m' }])),
        rollback: field(fc.oneof(action, fc.record({ run: action, verify: fc.constant('true') }))),
        timeout: field(fc.constantFrom('1m', '0s', '2d')),
        onFailure: field(fc.constantFrom('ask', 'stop', 'rollback-all')),
      },
      { requiredKeys: ['run', 'rollback'] },
    );
    const runbook = fc.record(
      {
        cutover: field(fc.constant(1)),
        name: field(fc.constantFrom('t', 'a-b-1')),
        vars: field(fc.constant({ x: 'v', list: ['p', 'q'], s: { default: 'v', secret: true } })),
        defaults: field(fc.record({ timeout: fc.constantFrom('1m', '5s'), onFailure: fc.constantFrom('stop', 'ask') }, { requiredKeys: [] })),
        steps: fc.array(step, { minLength: 1, maxLength: 3 }).map((steps) => steps.map((st, i) => ({ id: `s${i}`, ...st }))),
      },
      { requiredKeys: ['cutover', 'name', 'vars', 'steps'] },
    );
    let valid = 0;
    fc.assert(
      fc.property(runbook, fc.constantFrom<'block' | 'flow'>('block', 'flow'), (value, collectionStyle) => {
        const result = load(stringify(value, { collectionStyle }));
        if (result.ok) valid++;
        assertWellFormed(result);
      }),
      { numRuns: 500 },
    );
    // The generator is only useful if it reaches both sides.
    expect(valid).toBeGreaterThan(50);
    expect(valid).toBeLessThan(450);
  });

  it('on mutations of examples/quickstart.yaml', () => {
    const lines = quickstart.split('\n');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), char: fc.constantFrom(' ', '\t', ':', '-', '"', "'", '{', '[', '#', 'x', '\n') }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('${', '$${', '${x}', '${env.', '}', '&a ', '*a', '!!str ') }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let current = [...lines];
        for (const m of mutations) {
          const i = m.at % current.length;
          if (m.kind === 'delete') current.splice(i, 1);
          else if (m.kind === 'duplicate') current.splice(i, 0, current[i] as string);
          else if (m.kind === 'swap') {
            const j = m.to % current.length;
            [current[i], current[j]] = [current[j] as string, current[i] as string];
          } else {
            const text = current.join('\n');
            const offset = m.at % (text.length + 1);
            const insert = m.kind === 'flip' ? m.char : m.text;
            const rest = m.kind === 'flip' ? offset + 1 : offset;
            current = `${text.slice(0, offset)}${insert}${text.slice(rest)}`.split('\n');
          }
          if (current.length === 0) current = [''];
        }
        assertWellFormed(load(current.join('\n')));
      }),
      { numRuns: 700 },
    );
  });
});

// ---- digests ---------------------------------------------------------------------------

const command = fc
  .string({ unit: fc.constantFrom('a', 'b', ' ', '-', '/', '.', '|', '>', '&', "'", '"', '$'), minLength: 1, maxLength: 30 })
  .filter((s) => s.trim() !== '' && !s.includes('${') && !/^[\s'"|>&-]/.test(s));

const stepFields = fc.record(
  {
    run: command,
    verify: fc.option(command, { nil: undefined }),
    rollback: command,
    timeout: fc.option(fc.constantFrom('30s', '1m', '1h30m'), { nil: undefined }),
    confirm: fc.option(fc.boolean(), { nil: undefined }),
    onFailure: fc.option(fc.constantFrom('ask', 'stop', 'rollback-step'), { nil: undefined }),
  },
  { requiredKeys: ['run', 'rollback'] },
);

function runbookWith(step: Record<string, unknown>, collectionStyle: 'block' | 'flow'): string {
  return stringify({ cutover: 1, name: 'digests', steps: [step] }, { collectionStyle });
}

function digestOf(text: string): string {
  const result = load(text);
  if (!result.ok) throw new Error(`expected a valid runbook:\n${text}\n${JSON.stringify(result.diagnostics)}`);
  return result.runbook.steps[0]?.digest as string;
}

describe('step digests', () => {
  it('do not change with key order or flow versus block style', () => {
    fc.assert(
      fc.property(
        stepFields.chain((fields) => {
          const entries = Object.entries({ id: 'a', ...fields }).filter(([, v]) => v !== undefined);
          return fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }));
        }),
        fc.constantFrom<'block' | 'flow'>('block', 'flow'),
        ([entries, shuffled], style) => {
          const original = digestOf(runbookWith(Object.fromEntries(entries), 'block'));
          expect(digestOf(runbookWith(Object.fromEntries(shuffled), style))).toBe(original);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('change when a command changes', () => {
    fc.assert(
      fc.property(stepFields, command, fc.constantFrom('run', 'verify', 'rollback'), (fields, other, key) => {
        fc.pre(fields[key] !== other);
        const before = digestOf(runbookWith({ id: 'a', ...fields }, 'block'));
        const after = digestOf(runbookWith({ id: 'a', ...fields, [key]: other }, 'block'));
        expect(after).not.toBe(before);
      }),
      { numRuns: 150 },
    );
  });
});

// ---- shell quoting --------------------------------------------------------------------

describe('shellQuote', () => {
  it('passes any string to sh as one literal word', () => {
    // NUL cannot be in an argv string; everything else must survive unchanged.
    const nasty = fc.constantFrom(
      "'",
      '"',
      '$',
      '$(id)',
      '`id`',
      '\\',
      '\n',
      ';',
      '&',
      '|',
      '*',
      '?',
      '~',
      '!',
      '#',
      ' ',
      '\t',
      '${HOME}',
      '=',
      '%',
      '-',
      'a',
      '\u00e9',
      '\u{1f600}',
    );
    const value = fc.oneof(
      fc.string({ unit: nasty, maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }).map((s) => s.replace(/\0/g, '')),
    );
    fc.assert(
      fc.property(value, (v) => {
        const out = execFileSync('sh', ['-c', `printf %s ${shellQuote(v)}`], { encoding: 'utf8' });
        expect(out).toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});
