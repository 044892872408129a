/**
 * The invalid-runbook corpus: every file in test/invalid/ is a runbook that must be
 * rejected. Its expectations are in its first lines, so adding a case is adding a file:
 *
 *   # options: strict                      (optional: validate as with --strict)
 *   # expect: 7:15 unknown variable "zonee"
 *
 * Each `expect` is one error: exact line:col and a substring of the message (the part
 * that names the fix). A file's errors must be exactly its expectations, no more.
 *
 * The CLI cases run the built bin/cutover: `npm test` builds dist/ before vitest.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbookFile, loadRunbookText } from '../src/runbook/load.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const corpusDir = path.join(root, 'test', 'invalid');
const env = { HOME: '/home/tester' };

interface Expectation {
  line: number;
  col: number;
  text: string;
}

interface Case {
  name: string;
  file: string;
  strict: boolean;
  expectations: Expectation[];
}

function readCase(name: string): Case {
  const file = path.join(corpusDir, name);
  const header = readFileSync(file, 'utf8').split('\n');
  const expectations: Expectation[] = [];
  let strict = false;
  for (const line of header) {
    if (!line.startsWith('#')) break;
    const expectation = /^# expect: (\d+):(\d+) (.+)$/.exec(line);
    if (expectation) expectations.push({ line: Number(expectation[1]), col: Number(expectation[2]), text: expectation[3] as string });
    if (/^# options:.*\bstrict\b/.test(line)) strict = true;
  }
  return { name, file, strict, expectations };
}

const cases = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map(readCase);

describe('invalid runbook corpus', () => {
  it('has a case for every rule, each with an expectation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    for (const c of cases) expect(c.expectations, `${c.name} has no "# expect:" line`).not.toHaveLength(0);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const result = await loadRunbookFile(c.file, { mode: 'validate', env, strict: c.strict });
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const unmatched = [...errors];
    for (const e of c.expectations) {
      const index = unmatched.findIndex((d) => d.line === e.line && d.col === e.col && d.message.includes(e.text));
      expect(index, `no error at ${e.line}:${e.col} containing ${JSON.stringify(e.text)}; got:\n${listDiagnostics(errors)}`).toBeGreaterThanOrEqual(0);
      unmatched.splice(index, 1);
    }
    expect(unmatched, `unexpected errors:\n${listDiagnostics(unmatched)}`).toEqual([]);
    for (const d of result.diagnostics) {
      expect(d.file).toBe(c.file);
      expect(d.rule).not.toBe('');
    }
  });
});

function listDiagnostics(diagnostics: readonly { line: number; col: number; message: string }[]): string {
  return diagnostics.map((d) => `  ${d.line}:${d.col} ${d.message}`).join('\n');
}

describe('inputs that cannot carry their expectation in the file', () => {
  it('a file of zero bytes is empty', () => {
    const result = loadRunbookText('empty.yaml', '');
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toMatchObject([{ line: 1, col: 1, rule: 'empty', message: 'the file is empty; a runbook starts with "cutover: 1"' }]);
  });

  it('a file of whitespace only is empty', () => {
    const result = loadRunbookText('blank.yaml', '\n   \n\n');
    expect(result.diagnostics).toMatchObject([{ rule: 'empty' }]);
  });

  it('a binary file is refused before parsing', () => {
    const result = loadRunbookText('bin.yaml', 'cutover: 1\u0000\u0001');
    expect(result.diagnostics).toMatchObject([{ line: 1, col: 1, rule: 'binary' }]);
    expect(result.diagnostics[0]?.message).toContain('a runbook is a UTF-8 YAML text file');
  });

  it('a missing file is one file-level error naming the path to check', async () => {
    const result = await loadRunbookFile(path.join(corpusDir, 'no-such-file.yaml'));
    expect(result.diagnostics).toMatchObject([{ line: 0, col: 0, rule: 'unreadable', message: 'cannot read the runbook: no such file; check the path' }]);
  });

  it('the alias bomb fails fast', () => {
    // Each level multiplies by 9: fully expanded this would be 9^9 strings.
    const text = readFileSync(path.join(corpusDir, 'yaml-alias-bomb.yaml'), 'utf8');
    const started = performance.now();
    const result = loadRunbookText('bomb.yaml', text);
    expect(result.ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('thousands of nesting levels are refused before they overflow the stack', () => {
    // Composing such a document recursed until V8 aborted the whole process.
    for (const text of [
      '['.repeat(50_000) + ']'.repeat(50_000),
      '- '.repeat(50_000) + 'x',
      'a:\n' + Array.from({ length: 3_000 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n'),
    ]) {
      const result = loadRunbookText('deep.yaml', text);
      expect(result.diagnostics).toMatchObject([{ rule: 'yaml-depth', message: 'the YAML nests more than 64 levels deep; a runbook never needs that many' }]);
    }
  });

  it('a BOM does not shift columns', () => {
    const text = '\ufeffcutover: 1\nname: t\nsteps:\n  - id: a\n    run: echo ${nope}\n    rollback: echo undo\n';
    const result = loadRunbookText('bom.yaml', text, { env });
    expect(result.diagnostics).toMatchObject([{ line: 5, col: 15, rule: 'unknown-var' }]);
  });
});

/** A handful of the corpus through the built CLI: the same positions, exit 2, no stack. */
describe('cutover validate on invalid runbooks', () => {
  const cli = path.join(root, 'bin', 'cutover');
  const chosen = [
    'unknown-var-suggest.yaml',
    'action-kind-typo.yaml',
    'step-without-run.yaml',
    'yaml-unclosed-quote.yaml',
    'yaml-alias-bomb.yaml',
    'tag-js-function.yaml',
    'document-empty.yaml',
    'strict-without-verify.yaml',
  ];

  it.each(chosen)('%s', (name) => {
    const c = cases.find((candidate) => candidate.name === name);
    if (!c) throw new Error(`${name} is not in the corpus`);
    const relative = path.relative(root, c.file);
    const args = ['validate', ...(c.strict ? ['--strict'] : []), relative];
    const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run.status).toBe(2);
    for (const e of c.expectations) expect(run.stdout).toContain(`${relative}:${e.line}:${e.col}: `);
    for (const e of c.expectations) expect(run.stdout).toContain(e.text);
    expect(run.stdout).toMatch(/^invalid: .* has \d+ problems?; fix them and validate again$/m);
    expect(run.stdout + run.stderr).not.toContain('    at ');
  });
});
