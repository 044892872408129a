/**
 * The loader's fast path (js-yaml events) must never disagree with the positioned `yaml`
 * path: whenever it answers, both give the same data and the same step positions. Checked
 * on every runbook in the repository, on crafted corner cases, and on generated YAML.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseFast } from '../src/runbook/fast-source.js';
import { parseYamlSource, positionOf, withoutBom } from '../src/runbook/source.js';

function agree(text: string): 'fast' | 'slow-only' {
  const fast = parseFast(withoutBom(text));
  if (!fast) return 'slow-only';
  const { source } = parseYamlSource('t.yaml', text);
  if (!source) throw new Error(`the fast path accepted what the yaml path rejects:\n${text}`);
  if (!isDeepStrictEqual(fast.data, source.data))
    throw new Error(`data differs for:\n${text}\nfast: ${JSON.stringify(fast.data)}\nslow: ${JSON.stringify(source.data)}`);
  const steps = (source.data as { steps?: unknown }).steps;
  if (Array.isArray(steps)) {
    const slowPositions = steps.map((_, index) => positionOf(source, ['steps', index]));
    expect(fast.stepPositions).toEqual(slowPositions);
  }
  return 'fast';
}

const files = (dir: string) =>
  readdirSync(new URL(`../${dir}/`, import.meta.url))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => readFileSync(new URL(`../${dir}/${name}`, import.meta.url), 'utf8'));

describe('fast YAML path', () => {
  it('agrees with the yaml path on every runbook in the repository', () => {
    const all = [...files('examples'), ...files('runbooks'), ...files('test/invalid')];
    expect(all.length).toBeGreaterThan(90);
    const taken = all.map(agree);
    // The valid runbooks must actually take the fast path, or the benchmark measures nothing.
    expect(files('runbooks').map(agree)).not.toContain('slow-only');
    expect(taken.filter((t) => t === 'fast').length).toBeGreaterThan(50);
  });

  it('leaves aliases, tags, several documents and non-mapping roots to the yaml path', () => {
    for (const text of ['a: &x 1\nb: *x\n', 'a: !!binary aGk=\n', 'a: !custom 1\n', 'a: 1\n---\nb: 2\n', '- 1\n- 2\n', 'just text\n', '', 'steps:\n  - 1\n']) {
      expect(parseFast(text), text).toBeUndefined();
    }
  });

  it('types scalars exactly as the yaml path does', () => {
    const scalars = [
      '0x1F',
      '0o17',
      '0b1',
      '1_000',
      '+1',
      '-0',
      '.inf',
      '-.Inf',
      '.NaN',
      '1e3',
      '1.',
      '.5',
      'yes',
      'on',
      '~',
      'Null',
      'TRUE',
      'True',
      '012',
      '2001-12-14',
      '1:20',
      '0.0',
      '-1.5e-3',
      '"1"',
      "'x'",
      '',
      '__proto__',
      '<<',
      'a #b',
      '"\\u00e9"',
    ];
    for (const scalar of scalars) agree(`a: ${scalar}\nb: [${scalar || '~'}]\n`);
  });

  it('gives the same positions with a BOM, CRLF line ends, flow steps and comments', () => {
    expect(agree('\ufeffcutover: 1\r\nsteps:\r\n  - id: a\r\n    run: x\r\n  # c\r\n  - {id: b, run: y}\r\n')).toBe('fast');
    expect(agree('steps: [{id: a}, {id: b}]\nname: x\n')).toBe('fast');
    expect(agree('steps:\n- id: a\n-   id: b\n    run: |\n      multi\n      line\n- id: c\n')).toBe('fast');
  });

  it('agrees on YAML generated from random values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.anything({ maxDepth: 3 })), (value) => {
        let text: string | undefined;
        try {
          text = stringify(value) as string | undefined;
        } catch {
          return;
        }
        if (text !== undefined) agree(text);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees on strings made of YAML punctuation', () => {
    const yamlChar = fc.constantFrom(
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
      'a',
      'z',
      '1',
      '0',
      '.',
      'steps',
      'id',
      '~',
      '\\',
    );
    fc.assert(
      fc.property(fc.string({ unit: yamlChar, maxLength: 80 }), (text) => {
        agree(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on mutations of the runbooks in the repository', () => {
    const sources = [...files('examples'), ...files('runbooks')];
    const mutation = fc.record({
      source: fc.nat({ max: sources.length - 1 }),
      edits: fc.array(
        fc.record({
          kind: fc.constantFrom('delete-line', 'duplicate-line', 'indent', 'dedent', 'insert', 'replace'),
          at: fc.nat(),
          text: fc.constantFrom(':', '- ', '  ', '{', '}', '[', ']', '"', "'", '#', '|', '>', '~', 'null', '1', 'steps:', '? ', '\r\n', '%', '@'),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ source, edits }) => {
        let text = sources[source]!;
        for (const edit of edits) {
          const lines = text.split('\n');
          const line = edit.at % lines.length;
          if (edit.kind === 'delete-line') lines.splice(line, 1);
          else if (edit.kind === 'duplicate-line') lines.splice(line, 0, lines[line]!);
          else if (edit.kind === 'indent') lines[line] = `  ${lines[line]!}`;
          else if (edit.kind === 'dedent') lines[line] = lines[line]!.replace(/^ {1,2}/, '');
          text = lines.join('\n');
          if (edit.kind === 'insert' || edit.kind === 'replace') {
            const at = edit.at % (text.length + 1);
            text = text.slice(0, at) + edit.text + text.slice(edit.kind === 'replace' ? at + 1 : at);
          }
        }
        agree(text);
      }),
      { numRuns: 1500 },
    );
  });
});
