/**
 * Hostile runbooks, in-process: about 3,100 cases in `npm test` (fixed seed) and more than
 * 15,000 under `npm run torture` through loadRunbookText (the loader every command uses),
 * from two sources:
 *
 * - a mutation fuzzer over the real runbooks (examples/*.yaml, runbooks/*.yaml): byte
 *   flips, deleted / duplicated / swapped lines, indentation changes, anchors and aliases,
 *   merge keys, tags, `__proto__` / `constructor` keys, a BOM, CRLF, tabs, duplicate keys,
 *   document markers, truncation;
 * - fast-check texts assembled from runbook fragments and hostile YAML pieces.
 *
 * Each case must: not throw; finish within CASE_BUDGET_MS (measured); return either a
 * runbook with steps and digests, or at least one error, every diagnostic with a position
 * inside the file (line >= 1, col >= 1) and a message; and never pollute Object.prototype.
 * Failures print the seed and the input, so they can be replayed (TORTURE_SEED=<seed>).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { LoadResult } from '../../src/runbook/load.js';
import { ROOT } from '../e2e/helpers.js';
import { Rng, sized, tortureSeed } from './support.js';

const seed = tortureSeed();
const CASE_BUDGET_MS = 2_000;
const env = { HOME: '/home/tester', USER: 'tester', API_TOKEN: 'x' };

const corpus = ['examples', 'runbooks'].flatMap((folder) =>
  readdirSync(path.join(ROOT, folder))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => ({ name: `${folder}/${name}`, text: readFileSync(path.join(ROOT, folder, name), 'utf8') })),
);

const stats = { cases: 0, ok: 0, invalid: 0, slowestMs: 0, slowest: '' };
afterAll(() => {
  console.log(
    `hostile runbooks (seed ${seed}): ${stats.cases} cases, ${stats.ok} loaded, ${stats.invalid} refused with positions; slowest ${stats.slowestMs.toFixed(1)} ms (${stats.slowest})`,
  );
});

/** Loads one case and checks the loader's contract; throws a message naming the seed and the input. */
function check(text: string, label: string, mode: 'validate' | 'resolve' = 'validate'): LoadResult {
  const fail = (problem: string): never => {
    // TORTURE_DUMP_DIR=/some/dir keeps the failing input byte for byte, to debug it.
    if (process.env.TORTURE_DUMP_DIR) writeFileSync(path.join(process.env.TORTURE_DUMP_DIR, `hostile-${seed}-${stats.cases}.yaml`), text);
    const shown = text.length > 1500 ? `${text.slice(0, 1500)}… (${text.length} chars)` : text;
    throw new Error(
      `hostile runbook ${label} (seed ${seed}; replay with TORTURE_SEED=${seed}): ${problem}\n--- input (JSON-escaped)\n${JSON.stringify(shown)}`,
    );
  };
  const started = performance.now();
  let result: LoadResult;
  try {
    result = loadRunbookText('fuzz.yaml', text, { mode, env });
  } catch (error) {
    return fail(`loadRunbookText threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const elapsed = performance.now() - started;
  stats.cases += 1;
  if (elapsed > stats.slowestMs) {
    stats.slowestMs = elapsed;
    stats.slowest = label;
  }
  if (elapsed > CASE_BUDGET_MS) fail(`took ${elapsed.toFixed(0)} ms (budget ${CASE_BUDGET_MS} ms)`);
  if (({} as Record<string, unknown>).polluted !== undefined || Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')) {
    fail('Object.prototype was polluted');
  }
  const lineCount = text.split(/\r\n|\r|\n/).length;
  if (result.ok) {
    stats.ok += 1;
    if (result.runbook.steps.length === 0) fail('ok without steps');
    for (const step of result.runbook.steps) {
      if (!/^sha256:[0-9a-f]{64}$/.test(step.digest) && mode === 'resolve') fail(`bad digest ${step.digest}`);
    }
    if (result.diagnostics.some((d) => d.severity === 'error')) fail('ok with an error diagnostic');
  } else {
    stats.invalid += 1;
    if (!result.diagnostics.some((d) => d.severity === 'error')) fail('refused without an error diagnostic');
  }
  for (const d of result.diagnostics) {
    if (!Number.isInteger(d.line) || d.line < 1 || d.line > lineCount + 1)
      fail(`diagnostic ${d.rule} at line ${d.line} (the text has ${lineCount} lines): ${d.message}`);
    if (!Number.isInteger(d.col) || d.col < 1) fail(`diagnostic ${d.rule} at column ${d.col}: ${d.message}`);
    if (typeof d.message !== 'string' || d.message.trim() === '') fail(`diagnostic ${d.rule} without a message`);
    if (typeof d.rule !== 'string' || d.rule === '') fail(`diagnostic without a rule: ${d.message}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// The mutation fuzzer

const TAGS = [
  '!!python/object:os.system ',
  '!Ref ',
  '!!binary ',
  '!<tag:example.com,2000:x> ',
  '!!js/function ',
  '!!set ',
  '!!omap ',
  '!!str ',
  '!!int ',
  '!custom ',
];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];
const JUNK = [
  '${',
  '$${',
  '}',
  '${env.',
  '${nope}',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\ud800',
  '\u2028',
  '\u00a0',
  '"',
  "'",
  '`',
  '\\',
  '{',
  '[',
  '|',
  '>',
  '? ',
  '- ',
  ': ',
  '#',
  '%YAML 1.1',
  '&',
  '*',
  '!',
  '@',
  '~',
  '.nan',
  '0x1F',
  '1e999',
  '-.inf',
  '\t',
];

type Mutation = (lines: string[], rng: Rng) => string[];

const lineIndex = (lines: string[], rng: Rng) => rng.int(0, Math.max(0, lines.length - 1));
const indentOf = (line: string) => /^[ \t]*/.exec(line)?.[0] ?? '';
const mapLine = (lines: string[], rng: Rng, change: (line: string) => string) => {
  const copy = [...lines];
  const index = lineIndex(copy, rng);
  copy[index] = change(copy[index] ?? '');
  return copy;
};
/** A position in the line where a value starts, after "key: " or "- ", if any. */
const valueStart = (line: string) => {
  const match = /^([ \t]*(?:- )?[\w$.-]+:\s)|^([ \t]*- )/.exec(line);
  return match ? match[0].length : -1;
};

const MUTATIONS: Record<string, Mutation> = {
  flipByte: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      if (line.length === 0) return String.fromCharCode(rng.int(0, 255));
      const at = rng.int(0, line.length - 1);
      return `${line.slice(0, at)}${String.fromCharCode(rng.int(1, 255))}${line.slice(at + 1)}`;
    }),
  deleteLine: (lines, rng) => lines.filter((_, index) => index !== lineIndex(lines, rng)),
  duplicateLine: (lines, rng) => {
    const index = lineIndex(lines, rng);
    return [...lines.slice(0, index + 1), lines[index] ?? '', ...lines.slice(index + 1)];
  },
  swapLines: (lines, rng) => {
    const copy = [...lines];
    const a = lineIndex(copy, rng);
    const b = lineIndex(copy, rng);
    [copy[a], copy[b]] = [copy[b] ?? '', copy[a] ?? ''];
    return copy;
  },
  indentMore: (lines, rng) => mapLine(lines, rng, (line) => `${' '.repeat(rng.int(1, 4))}${line}`),
  indentLess: (lines, rng) => mapLine(lines, rng, (line) => line.replace(new RegExp(`^ {1,${rng.int(1, 4)}}`), '')),
  tabIndent: (lines, rng) => mapLine(lines, rng, (line) => line.replace(/^( +)/, (spaces) => '\t'.repeat(Math.max(1, spaces.length / 2)))),
  anchor: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      const at = valueStart(line);
      return at < 0 ? line : `${line.slice(0, at)}&a ${line.slice(at)}`;
    }),
  alias: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      const at = valueStart(line);
      return at < 0 ? `${line} *a` : `${line.slice(0, at)}*a`;
    }),
  anchorAndAlias: (lines, rng) => MUTATIONS.alias?.(MUTATIONS.anchor?.(lines, rng) ?? lines, rng) ?? lines,
  mergeKey: (lines, rng) => {
    const index = lineIndex(lines, rng);
    const indent = indentOf(lines[index] ?? '');
    return [...lines.slice(0, index), `${indent}<<: *a`, ...lines.slice(index)];
  },
  tag: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      const at = valueStart(line);
      const tag = rng.pick(TAGS);
      return at < 0 ? `${tag}${line}` : `${line.slice(0, at)}${tag}${line.slice(at)}`;
    }),
  hostileKey: (lines, rng) => {
    const index = lineIndex(lines, rng);
    const indent = indentOf(lines[index] ?? '').replace(/- $/, '  ');
    const key = rng.pick(HOSTILE_KEYS);
    const value = rng.pick(['{polluted: yes}', '\n' + `${indent}  polluted: yes`, '[1, 2]', 'x', '{prototype: {polluted: yes}}', '*a', '']);
    return [...lines.slice(0, index), `${indent}${key}: ${value}`, ...lines.slice(index)];
  },
  duplicateKey: (lines, rng) => {
    // Repeat a "key: value" line right after itself, or further down at the same indentation.
    const index = lineIndex(lines, rng);
    const line = lines[index] ?? '';
    if (!/^\s*[\w-]+:/.test(line)) return MUTATIONS.duplicateLine?.(lines, rng) ?? lines;
    return [...lines.slice(0, index + 1), line.replace(/^(\s*)- /, '$1  '), ...lines.slice(index + 1)];
  },
  bom: (lines) => [`\ufeff${lines[0] ?? ''}`, ...lines.slice(1)],
  crlf: (lines) => lines.map((line) => `${line}\r`),
  crOnly: (lines, rng) => mapLine(lines, rng, (line) => `${line}\r`),
  junk: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      const at = rng.int(0, line.length);
      return `${line.slice(0, at)}${rng.pick(JUNK)}${line.slice(at)}`;
    }),
  documentMarker: (lines, rng) => {
    const index = lineIndex(lines, rng);
    return [...lines.slice(0, index), rng.pick(['---', '...', '--- !!map', '%YAML 1.2\n---']), ...lines.slice(index)];
  },
  truncate: (lines, rng) => {
    const text = lines.join('\n');
    return text.slice(0, rng.int(0, text.length)).split('\n');
  },
  replaceValue: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      const at = valueStart(line);
      const value = rng.pick([
        '~',
        'null',
        '.nan',
        '-.inf',
        '1e999',
        '0o777',
        '0x1F',
        'true',
        'no',
        '[]',
        '{}',
        '""',
        "''",
        '|',
        '>-',
        '"${x}"',
        '9999999999999999999999',
        '-1',
        '0s',
        '1.5h',
        'k8s-${app}',
      ]);
      return at < 0 ? line : `${line.slice(0, at)}${value}`;
    }),
  nest: (lines, rng) =>
    mapLine(lines, rng, (line) => {
      const at = valueStart(line);
      const depth = rng.int(10, 200);
      const value = rng.chance(0.5) ? `${'['.repeat(depth)}x${']'.repeat(depth)}` : `${'{a: '.repeat(depth)}x${'}'.repeat(depth)}`;
      return at < 0 ? line : `${line.slice(0, at)}${value}`;
    }),
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

function mutate(text: string, rng: Rng): { text: string; applied: string[] } {
  let lines = text.split('\n');
  const applied: string[] = [];
  const count = rng.int(1, 4);
  for (let index = 0; index < count; index += 1) {
    const name = rng.pick(MUTATION_NAMES);
    lines = (MUTATIONS[name] as Mutation)(lines, rng);
    applied.push(name);
  }
  return { text: lines.join('\n'), applied };
}

describe('the mutation fuzzer over examples/ and runbooks/', () => {
  it('the corpus itself loads', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(5);
    for (const file of corpus) {
      const result = check(file.text, file.name, 'resolve');
      expect(result.ok, `${file.name}: ${JSON.stringify(result.diagnostics)}`).toBe(true);
    }
  });

  // Split in chunks so a chunk's time shows up in the report, each with its own derived seed.
  // 2,000 in `npm test`, 10,000 under `npm run torture`.
  const CHUNKS = sized(2, 10);
  const PER_CHUNK = 1_000;
  for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
    it(`${PER_CHUNK} mutated runbooks (chunk ${chunk + 1}/${CHUNKS}, seed ${seed})`, () => {
      const rng = new Rng((seed + chunk * 0x9e3779b9) >>> 0);
      const seen = new Set<string>();
      for (let index = 0; index < PER_CHUNK; index += 1) {
        // The small quickstart half the time: mutations of it are cheap, and it has every kind of step.
        const file = rng.chance(0.5) ? (corpus.find((item) => item.name === 'examples/quickstart.yaml') ?? corpus[0]) : rng.pick(corpus);
        const { text, applied } = mutate(file?.text ?? '', rng);
        applied.forEach((name) => seen.add(name));
        check(text, `${file?.name} #${chunk * PER_CHUNK + index} [${applied.join(', ')}]`, rng.chance(0.2) ? 'resolve' : 'validate');
      }
      // Every operator was exercised in each chunk.
      expect([...MUTATION_NAMES].filter((name) => !seen.has(name))).toEqual([]);
    }, 120_000);
  }
});

// ---------------------------------------------------------------------------------------
// fast-check: texts assembled from runbook fragments and hostile YAML

const scalar = fc.oneof(
  fc.constantFrom(
    'echo hi',
    'true',
    '"${x}"',
    '${x}',
    '${env.HOME}',
    '${env.NOPE}',
    '$${HOME}',
    'k8s-${app}',
    '30s',
    '1h30m',
    '10x',
    'none',
    '~',
    '',
    '"a: b"',
    "'it''s'",
    '|',
    '-',
    '*a',
    '&a x',
    '!Ref x',
    '!!binary aGk=',
    '@',
    '`',
    '0x10',
    '1e3',
  ),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 300 }).map(String),
);
const key = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'cutover',
      'name',
      'steps',
      'id',
      'run',
      'verify',
      'rollback',
      'precheck',
      'vars',
      'secrets',
      'env',
      'defaults',
      'timeout',
      'retry',
      'foreach',
      'manual',
      'wait',
      'sh',
      'exec',
      'irreversible',
      'bake',
      'watch',
      'onFailure',
      'http',
      'url',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_KEYS, '<<', '? x', '"quoted key"', 'dup', 'dup') },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
);
/** Block YAML lines with random indentation, keys and values: many are invalid, some are not. */
const blockLine = fc
  .tuple(
    fc.constantFrom('', '  ', '    ', '      ', '- ', '  - ', '    - ', '\t'),
    key,
    fc.constantFrom(': ', ':', ': &a ', ': *a', ': !!str ', ': !custom '),
    scalar,
  )
  .map(([indent, name, separator, value]) => `${indent}${name}${separator}${value}`);
const header = fc.constantFrom(
  'cutover: 1\nname: fuzz\nsteps:\n',
  'cutover: 1\nname: fuzz\n',
  '\ufeffcutover: 1\r\nname: fuzz\r\nsteps:\r\n',
  '',
  '---\n',
  'cutover: 1\nname: fuzz\nsteps:\n  - id: a\n    run: echo a\n    rollback: none\n    irreversible: test\n',
);
const blockText = fc.tuple(header, fc.array(blockLine, { maxLength: 14 }), fc.constantFrom('\n', '\r\n')).map(([head, lines, eol]) => head + lines.join(eol));

/** Valid-shaped runbooks with hostile values in their fields, as YAML flow text (JSON with extras). */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    'none',
    '${x}',
    '${list}',
    '$${',
    { __proto__: null, polluted: 1 },
    { ['__proto__']: { polluted: 1 } },
    { constructor: { prototype: { polluted: 1 } } },
    [],
    {},
  ),
);
const flowRunbook = fc
  .record({
    name: fc.oneof(fc.constant('fuzz'), fc.string({ maxLength: 8 })),
    vars: fc.dictionary(fc.oneof(fc.constantFrom('x', 'list', '__proto__', 'constructor'), fc.string({ maxLength: 4 })), hostileValue, { maxKeys: 3 }),
    steps: fc.array(
      fc.record({
        id: fc.oneof(fc.constantFrom('a', 'b', 'k8s-${app}', '__proto__', 'constructor'), fc.string({ maxLength: 6 })),
        run: fc.oneof(fc.constant('echo ${x}'), hostileValue),
        rollback: fc.oneof(fc.constant('none'), hostileValue),
        irreversible: fc.constant('fuzz'),
      }),
      { maxLength: 3 },
    ),
  })
  .map(
    (runbook) =>
      `cutover: 1\n${JSON.stringify(runbook)
        .slice(1, -1)
        .replace(/,"(vars|steps)"/g, '\n"$1"')}`,
  );

/** Alias chains, deep nesting and tags in small texts. */
const structural = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map((levels) => {
    const lines = ['cutover: 1', 'name: fuzz', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= levels; level += 1) lines.push(`a${level}: &a${level} [${Array.from({ length: 10 }, () => `*a${level - 1}`).join(', ')}]`);
    lines.push(`steps: *a${levels}`);
    return lines.join('\n');
  }),
  fc.integer({ min: 1, max: 3000 }).map((depth) => `cutover: 1\nname: fuzz\nsteps: ${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1, max: 3000 }).map((depth) => `cutover: 1\nname: fuzz\nsteps:\n${'- '.repeat(depth)}x`),
  fc
    .integer({ min: 1, max: 200 })
    .map((depth) => `cutover: 1\nname: fuzz\nvars:\n${Array.from({ length: depth }, (_, level) => `${'  '.repeat(level + 1)}k${level}:`).join('\n')} x`),
  fc.constantFrom(...TAGS).map((tag) => `cutover: 1\nname: fuzz\nsteps:\n  - id: a\n    run: ${tag}echo\n    rollback: none\n    irreversible: x`),
);

describe('fast-check: generated hostile texts', () => {
  // A fifth of the runs in `npm test`, all under `npm run torture`.
  const options = (offset: number, numRuns: number) => ({ seed: (seed + offset) | 0, numRuns: sized(Math.ceil(numRuns / 5), numRuns) });
  it(`block YAML made of runbook keys and hostile pieces (seed ${seed})`, () => {
    fc.assert(
      fc.property(blockText, (text) => {
        check(text, 'block');
      }),
      options(1, 3_000),
    );
  }, 120_000);

  it(`runbook-shaped flow YAML with hostile values, __proto__ and constructor keys (seed ${seed})`, () => {
    fc.assert(
      fc.property(flowRunbook, (text) => {
        check(text, 'flow', 'resolve');
      }),
      options(2, 2_000),
    );
  }, 120_000);

  it(`alias chains, deep nesting and tags (seed ${seed})`, () => {
    fc.assert(
      fc.property(structural, (text) => {
        check(text, 'structural');
      }),
      options(3, 500),
    );
  }, 120_000);
});

describe('specific hostile inputs, in-process', () => {
  it('__proto__ and constructor keys are plain data and never reach Object.prototype', () => {
    const text = [
      'cutover: 1',
      'name: proto',
      '__proto__: {polluted: yes}',
      'vars:',
      '  __proto__: {polluted: yes}',
      '  constructor: {prototype: {polluted: yes}}',
      'steps:',
      '  - id: a',
      '    run: echo hi',
      '    rollback: none',
      '    irreversible: test',
      '    __proto__: {polluted: yes}',
    ].join('\n');
    const result = check(text, 'proto');
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a billion-laughs alias bomb is refused with a position, fast', () => {
    const lines = ['cutover: 1', 'name: bomb', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level <= 9; level += 1) lines.push(`a${level}: &a${level} [${Array.from({ length: 10 }, () => `*a${level - 1}`).join(', ')}]`);
    lines.push('steps: *a9');
    const result = check(lines.join('\n'), 'billion laughs');
    expect(result.ok).toBe(false);
  });

  it('10,000-deep nesting in flow sequences, flow mappings and block sequences is refused with a position', () => {
    for (const [name, text] of [
      ['flow sequences', `cutover: 1\nname: deep\nsteps: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`],
      ['flow mappings', `cutover: 1\nname: deep\nsteps: ${'{a: '.repeat(10_000)}x${'}'.repeat(10_000)}\n`],
      ['block sequences', `cutover: 1\nname: deep\nsteps:\n${'- '.repeat(10_000)}x\n`],
    ] as const) {
      const result = check(text, `10,000-deep ${name}`);
      expect(result.ok, name).toBe(false);
      expect(
        result.diagnostics.map((d) => d.rule),
        name,
      ).toContain('yaml-depth');
    }
  });

  it('binary garbage, a lone BOM, and NUL bytes are refused with a position', () => {
    const rng = new Rng(seed);
    for (let index = 0; index < 200; index += 1) {
      const bytes = Buffer.from(Array.from({ length: rng.int(1, 2000) }, () => rng.int(0, 255)));
      check(bytes.toString('utf8'), `garbage #${index}`);
      check(bytes.toString('latin1'), `garbage (latin1) #${index}`);
    }
    expect(check('\ufeff', 'lone BOM').ok).toBe(false);
    expect(check('cutover: 1\u0000', 'NUL').diagnostics.map((d) => d.rule)).toContain('binary');
  });
});
