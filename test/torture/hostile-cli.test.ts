/**
 * Hostile runbooks through the real CLI (`cutover validate`, and `run` for a few): each is
 * refused with exit 2 and positioned messages, within a few seconds, without a stack
 * trace and without Node's own warnings on stderr.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, describeResult, removeDir, requireBuild, scratch, startCli, tempDir } from '../e2e/helpers.js';
import type { CliResult } from '../e2e/helpers.js';
import { Rng, STACK_FRAME, tortureSeed } from './support.js';

beforeAll(requireBuild);

const seed = tortureSeed();
/**
 * "Within a few seconds", measured against a trivial validate on the same machine at the
 * same moment, so a loaded CI runner does not fail the test: at most 4 s more than that.
 */
let baselineMs = 0;
const limitMs = () => 4_000 + 2 * baselineMs;

beforeAll(async () => {
  const dir = tempDir('cutover-torture-baseline-');
  try {
    writeFileSync(path.join(dir, 'ok.yaml'), 'cutover: 1\nname: ok\nsteps:\n  - id: a\n    run: echo\n    rollback: none\n    irreversible: x\n');
    const started = Date.now();
    await startCli(['validate', 'ok.yaml'], { cwd: dir, env: cliEnv() }).done;
    baselineMs = Date.now() - started;
  } finally {
    removeDir(dir);
  }
});

/** `said` is stdout and stderr together: validate prints its diagnostics on stdout, other commands on stderr. */
async function refused(
  dir: string,
  name: string,
  content: string | Buffer,
  args: string[] = ['validate'],
): Promise<CliResult & { elapsedMs: number; said: string }> {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  const started = Date.now();
  const result = await startCli([...args, file], { cwd: dir, env: cliEnv({ CI: 'true' }), timeoutMs: 30_000 }).done;
  const elapsedMs = Date.now() - started;
  const what = `${name} (${args.join(' ')}, seed ${seed}): ${describeResult({ ...result, stdout: result.stdout.slice(0, 2000), stderr: result.stderr.slice(0, 2000) })}`;
  expect(result.timedOut, what).toBe(false);
  expect(result.code, what).toBe(2);
  expect(STACK_FRAME.test(result.stdout + result.stderr), `${what}\nprinted a stack trace`).toBe(false);
  expect(result.stdout + result.stderr, `${what}\nNode printed a warning of its own`).not.toMatch(/\(node:\d+\)|Warning:|internal error/);
  expect(elapsedMs, `${what}\ntook ${elapsedMs} ms (limit ${limitMs()} ms, a trivial validate took ${baselineMs} ms)`).toBeLessThan(limitMs());
  return { ...result, elapsedMs, said: result.stdout + result.stderr };
}

/** The file:line:col of the first problem, as validate prints it. */
function firstPosition(said: string): { line: number; col: number } | undefined {
  const match = /:(\d+):(\d+): /.exec(said);
  return match ? { line: Number(match[1]), col: Number(match[2]) } : undefined;
}

// One at a time, so each measured duration is that command's own.
describe('cutover validate on hostile files', () => {
  it('a billion-laughs alias bomb', async (context) => {
    const lines = ['cutover: 1', 'name: bomb', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level <= 9; level += 1) lines.push(`a${level}: &a${level} [${Array.from({ length: 10 }, () => `*a${level - 1}`).join(', ')}]`);
    lines.push('steps: *a9', '');
    const result = await refused(scratch(context), 'bomb.yaml', lines.join('\n'));
    expect(result.said).toMatch(/alias/i);
    expect(firstPosition(result.said)?.line).toBeGreaterThanOrEqual(1);
  });

  it('a 20 MB file is refused before parsing (limit 10 MB)', async (context) => {
    const body = `cutover: 1\nname: big\nsteps:\n${'  - id: a\n    run: echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'.repeat(180_000)}`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(20 * 1024 * 1024);
    const result = await refused(scratch(context), 'big.yaml', body);
    expect(result.said).toContain('10 MB');
  });

  it('10,000-deep nesting: flow sequences, flow mappings, block sequences', async (context) => {
    const dir = scratch(context);
    for (const [name, text] of [
      ['deep-flow-seq.yaml', `cutover: 1\nname: deep\nsteps: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`],
      ['deep-flow-map.yaml', `cutover: 1\nname: deep\nsteps: ${'{a: '.repeat(10_000)}x${'}'.repeat(10_000)}\n`],
      ['deep-block-seq.yaml', `cutover: 1\nname: deep\nsteps:\n${'- '.repeat(10_000)}x\n`],
    ] as const) {
      const result = await refused(dir, name, text);
      expect(result.said, name).toContain('nests more than 64 levels');
      expect(firstPosition(result.said)?.line, name).toBeGreaterThanOrEqual(1);
    }
  });

  it('binary garbage, with and without NUL bytes', async (context) => {
    const dir = scratch(context);
    const rng = new Rng(seed);
    const garbage = Buffer.from(Array.from({ length: 4096 }, () => rng.int(0, 255)));
    garbage[100] = 0;
    const withNul = await refused(dir, 'garbage.yaml', garbage);
    expect(withNul.said).toContain('NUL');
    // Without NULs it reaches the YAML parser: still exit 2, with a position.
    const text = Buffer.from(Array.from({ length: 4096 }, () => rng.int(1, 255)));
    const withoutNul = await refused(dir, 'noise.yaml', text);
    expect(withoutNul.said).toMatch(/:\d+:\d+: /);
  });

  it('__proto__ and constructor keys are reported as unknown keys, at their lines', async (context) => {
    const text = [
      'cutover: 1',
      'name: proto',
      '__proto__: {polluted: yes}',
      'constructor: {prototype: {polluted: yes}}',
      'steps:',
      '  - id: a',
      '    run: echo',
      '    rollback: none',
      '    irreversible: x',
      '',
    ].join('\n');
    const result = await refused(scratch(context), 'proto.yaml', text);
    expect(result.said).toMatch(/proto\.yaml:3:1: unknown key "__proto__"/);
    expect(result.said).toMatch(/proto\.yaml:4:1: unknown key "constructor"/);
  });

  it('a mapping used as a key: reported, without a Node warning on stderr', async (context) => {
    const text = ['cutover: 1', 'name: x', '? [a, b]', ': 1', 'steps:', '  - id: a', '    run: echo', '    rollback: none', '    irreversible: x', ''].join(
      '\n',
    );
    await refused(scratch(context), 'collection-key.yaml', text);
  });

  it('a file ending in a lone carriage return, with a schema error (used to crash with "internal error")', async (context) => {
    const text = 'cutover: 1\nname: x\nsteps:\n  - id: a\n    run: echo\n    rollback: none\n    irreversible: x\n    bogus: 1\r\n\r';
    const dir = scratch(context);
    const result = await refused(dir, 'lone-cr.yaml', text);
    expect(result.said).toMatch(/lone-cr\.yaml:\d+:\d+: /);
    await refused(dir, 'lone-cr-run.yaml', text, ['run', '--yes']);
  });

  it('tags, duplicate keys, tabs, a BOM with CRLF', async (context) => {
    const dir = scratch(context);
    const step = (extra: string) => `cutover: 1\nname: x\nsteps:\n  - id: a\n    run: ${extra}echo\n    rollback: none\n    irreversible: x\n`;
    expect((await refused(dir, 'tag.yaml', step('!!python/object:os.system '))).said).toMatch(/tag\.yaml:5:\d+: custom YAML tag/);
    expect((await refused(dir, 'dup.yaml', `${step('')}    run: again\n`)).said).toMatch(/dup\.yaml:8:\d+: .*(?:unique|duplicate)/i);
    expect((await refused(dir, 'tabs.yaml', step('').replace('    run:', '\trun:'))).said).toMatch(/tabs\.yaml:\d+:\d+: /);
    const bomCrlf = `\ufeff${step('').replace(/\n/g, '\r\n')}    bogus: 1\r\n`;
    expect((await refused(dir, 'bom-crlf.yaml', bomCrlf)).said).toMatch(/bom-crlf\.yaml:8:5: unknown key "bogus"/);
  });
});
