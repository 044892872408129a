import { describe, expect, it } from 'vitest';
import { findReferences, interpolate, shellQuote } from '../src/runbook/interpolate.js';
import type { Reference } from '../src/runbook/interpolate.js';

describe('findReferences', () => {
  it('finds vars and env references with their place in the text', () => {
    expect(findReferences('cp ${src} ${env.HOME}/x')).toEqual([
      { kind: 'var', name: 'src', index: 3, length: 6 },
      { kind: 'env', name: 'HOME', index: 10, length: 11 },
    ]);
  });

  it('skips $${, the escape for a literal ${', () => {
    expect(findReferences('echo $${HOME} ${a}')).toEqual([{ kind: 'var', name: 'a', index: 14, length: 4 }]);
  });

  it.each([
    ['${zone', '${zone'],
    ['${}', '${}'],
    ['${a-b}', '${a-b}'],
    ['${env.}', '${env.}'],
    ['${1a}', '${1a}'],
    ['${ a }', '${ a }'],
  ])('reports %j as malformed', (text, malformed) => {
    expect(findReferences(`x ${text}`)).toEqual([{ kind: 'malformed', text: malformed, index: 2, length: malformed.length }]);
  });

  it('finds nothing in plain text or a lone $', () => {
    expect(findReferences('echo $HOME $1 {a} $')).toEqual([]);
  });
});

describe('interpolate', () => {
  const values: Record<string, string> = { name: 'app one', quote: "it's", plain: 'v1.2' };
  const resolve = (reference: Reference) =>
    reference.kind === 'var' ? values[reference.name] : reference.kind === 'env' ? `/env/${reference.name}` : undefined;

  it('inserts values as they are', () => {
    expect(interpolate('deploy ${name} ${quote}', resolve)).toBe("deploy app one it's");
  });

  it('resolves ${env.NAME}', () => {
    expect(interpolate('${env.HOME}/.kube', resolve)).toBe('/env/HOME/.kube');
  });

  it('turns $${ into a literal ${', () => {
    expect(interpolate('echo $${HOME} ${plain}', resolve)).toBe('echo ${HOME} v1.2');
  });

  it('leaves unknown and malformed references in place', () => {
    expect(interpolate('a ${nope} ${bad', resolve)).toBe('a ${nope} ${bad');
  });

  it('returns text without references unchanged', () => {
    expect(interpolate("printf '%s' $1", resolve)).toBe("printf '%s' $1");
  });
});

describe('shellQuote', () => {
  it.each([
    ['simple', 'simple'],
    ['a/b.c:d,e=f@g%h+i-j_k', 'a/b.c:d,e=f@g%h+i-j_k'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(id)', "'$(id)'"],
    ['`id`', "'`id`'"],
    ['a;b', "'a;b'"],
    ['line\nbreak', "'line\nbreak'"],
    ['~', "'~'"],
    ['*', "'*'"],
  ])('%j → %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});
