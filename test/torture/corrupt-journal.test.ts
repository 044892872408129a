/**
 * Damaged journals through the real CLI: `status`, `log` and `run --yes` on a journal that
 * was truncated, torn, edited, reordered, replaced, emptied, or is not a file at all.
 *
 * The contract (docs/running.md, "Locks, signals, journal damage"):
 * - damage: exit 2, one line saying what is wrong (with the line number where there is
 *   one) and what to do, no stack trace, the journal's bytes untouched, no step run, no
 *   lock left behind;
 * - a torn last line (a crash mid-append, including a block of NULs left by a power loss):
 *   ignored by readers; `run` cuts it off, journals `journal.repaired` and goes on;
 * - a journal cut exactly at a line boundary, or at the "\n" of its last line, is a valid
 *   shorter journal: a hash chain cannot tell it from an older state (docs/safety.md).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/journal/chain.js';
import { hashLine } from '../../src/journal/line.js';
import type { CliResult } from '../e2e/helpers.js';
import { cli, cliEnv, describeResult, requireBuild, scratch, startCli, tempDir, removeDir } from '../e2e/helpers.js';
import { Rng, STACK_FRAME, isRoot, tortureSeed } from './support.js';

/** Paths relative to the working directory, so one runbook text (and its digests) serves every case's directory. */
const RUNBOOK = `${JSON.stringify(
  {
    cutover: 1,
    name: 'e2e',
    defaults: { timeout: '1m', onFailure: 'stop' },
    steps: [1, 2, 3].map((n) => ({
      id: `step-${n}`,
      run: `echo step-${n} >> ledger`,
      verify: `grep -qx step-${n} ledger`,
      rollback: { run: `echo undo-${n} >> ledger`, verify: `grep -qx undo-${n} ledger` },
    })),
  },
  null,
  2,
)}\n`;

const seed = tortureSeed();
const env = cliEnv({ CI: 'true' });

/** A real journal: step-1 and step-2 done, step-3 pending (11 lines). */
let good: Buffer;
let goodLines: string[];

beforeAll(async () => {
  requireBuild();
  const dir = tempDir('cutover-torture-journal-');
  try {
    writeFileSync(path.join(dir, 'runbook.yaml'), RUNBOOK);
    const run = await cli(['run', '--yes', '--max-steps', '2', 'runbook.yaml'], { cwd: dir, env });
    if (run.code !== 0) throw new Error(`could not make the base journal: ${describeResult(run)}`);
    good = readFileSync(path.join(dir, '.cutover', 'e2e.journal.jsonl'));
    goodLines = good.toString('utf8').split('\n').slice(0, -1);
  } finally {
    removeDir(dir);
  }
});

type Expect = 'damaged' | 'torn' | 'valid';

interface Case {
  name: string;
  expect: Expect;
  /** The journal's bytes, or a special thing in its place. */
  make: () => Buffer | { directory: true } | { fifo: true } | { symlink: string };
  /** Text stderr must contain (damage only). */
  says?: RegExp;
}

const text = (lines: string[]) => Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8');

/** A line that continues the chain after `lines`, so only its content can be wrong. */
function chained(lines: string[], fields: Record<string, unknown>): string {
  const last = JSON.parse(lines.at(-1) as string) as { seq: number };
  return JSON.stringify({
    v: 1,
    seq: last.seq + 1,
    ts: '2026-01-01T00:00:00.000Z',
    by: 'mallory@elsewhere',
    data: {},
    ...fields,
    prev: hashLine(lines.at(-1) as string),
  });
}

/** What the documented rules say about a journal cut to its first `offset` bytes. */
function truncationExpect(bytes: Buffer, offset: number): Expect {
  if (offset === 0) return 'damaged';
  const prefix = bytes.subarray(0, offset).toString('utf8');
  if (prefix.endsWith('\n')) return 'valid';
  const lastNewline = prefix.lastIndexOf('\n');
  try {
    JSON.parse(prefix.slice(lastNewline + 1));
    return 'valid'; // complete but unterminated: kept, and terminated before the next append
  } catch {
    return lastNewline === -1 ? 'damaged' : 'torn';
  }
}

function truncationCases(): Case[] {
  const ends: number[] = [];
  let offset = 0;
  for (const line of goodLines) {
    offset += Buffer.byteLength(line) + 1;
    ends.push(offset); // just after each "\n"
  }
  const lineEnd = (n: number) => ends[n - 1] as number; // after line n's "\n"
  const rng = new Rng(seed);
  const offsets = new Set([
    0,
    lineEnd(1) - 2, // inside line 1
    lineEnd(1) - 1, // line 1 complete, without its "\n"
    lineEnd(1), // exactly one line
    good.length - 1, // only the final "\n" missing
    good.length - 20,
    rng.int(1, good.length - 1),
  ]);
  return [...offsets]
    .sort((a, b) => a - b)
    .map((at) => ({ name: `truncated to ${at} of ${good.length} bytes`, expect: truncationExpect(good, at), make: () => good.subarray(0, at) }));
}

function damageCases(): Case[] {
  const edit = (index: number, change: (event: Record<string, unknown>) => void) => {
    const lines = [...goodLines];
    const event = JSON.parse(lines[index] as string) as Record<string, unknown>;
    change(event);
    lines[index] = JSON.stringify(event);
    return lines;
  };
  return [
    { name: 'a torn last line (crash mid-append)', expect: 'torn', make: () => Buffer.concat([good, Buffer.from((goodLines[4] as string).slice(0, 60))]) },
    { name: 'a block of NULs at the end (power loss after the size was updated)', expect: 'torn', make: () => Buffer.concat([good, Buffer.alloc(512)]) },
    {
      name: 'an edited field in a middle line',
      expect: 'damaged',
      says: /line 6: the hash chain is broken.*line 5/,
      make: () => text(edit(4, (e) => (e.by = 'mallory@elsewhere'))),
    },
    {
      name: 'a deleted middle line',
      expect: 'damaged',
      says: /line 4: expected seq 4 but found 5/,
      make: () => text(goodLines.filter((_, index) => index !== 3)),
    },
    { name: 'the first line deleted', expect: 'damaged', says: /line 1:/, make: () => text(goodLines.slice(1)) },
    {
      name: 'two lines swapped',
      expect: 'damaged',
      says: /line 4: expected seq 4/,
      make: () => text(goodLines.map((line, index, all) => (index === 3 ? all[4] : index === 4 ? all[3] : line) as string)),
    },
    {
      name: 'a duplicated line',
      expect: 'damaged',
      says: /line 5: expected seq 5 but found 4/,
      make: () => text([...goodLines.slice(0, 4), goodLines[3] as string, ...goodLines.slice(4)]),
    },
    {
      name: 'an unknown event type, correctly chained',
      expect: 'damaged',
      says: /line 12: unknown event type "step\.teleported"/,
      make: () => text([...goodLines, chained(goodLines, { type: 'step.teleported', step: 'step-3' })]),
    },
    {
      name: 'a line from a newer journal format',
      expect: 'damaged',
      says: /line 12: the journal format version is 2/,
      make: () => text([...goodLines, chained(goodLines, { v: 2, type: 'run.started', data: { command: 'run' } })]),
    },
    {
      name: 'binary garbage in a middle line',
      expect: 'damaged',
      says: /line 3:/,
      make: () => Buffer.concat([text(goodLines.slice(0, 2)), Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x0a]), text(goodLines.slice(3))]),
    },
    {
      name: 'CRLF line endings (saved by a Windows editor)',
      expect: 'damaged',
      says: /line \d+:/,
      make: () => Buffer.from(goodLines.map((line) => `${line}\r\n`).join('')),
    },
    { name: 'a byte-order mark', expect: 'damaged', says: /line 1:/, make: () => Buffer.concat([Buffer.from('\ufeff'), good]) },
    {
      name: 'the journal of a different runbook',
      expect: 'damaged',
      says: /belongs to runbook other, not e2e/,
      make: () => text(edit(0, (e) => ((e.data as { runbook: string }).runbook = 'other')).slice(0, 1)),
    },
    { name: 'an empty file', expect: 'damaged', says: /the journal is empty/, make: () => Buffer.alloc(0) },
    { name: 'a directory in its place', expect: 'damaged', says: /it is a directory/, make: () => ({ directory: true }) },
    { name: 'a FIFO in its place (reading it would hang)', expect: 'damaged', says: /is not a regular file/, make: () => ({ fifo: true }) },
    { name: 'a symlink to an endless device in its place', expect: 'damaged', says: /is not a regular file/, make: () => ({ symlink: '/dev/zero' }) },
  ];
}

function setUp(context: TestContext, made: ReturnType<Case['make']>): { dir: string; journal: string; snapshot: () => Buffer | string } {
  const dir = scratch(context);
  writeFileSync(path.join(dir, 'runbook.yaml'), RUNBOOK);
  writeFileSync(path.join(dir, 'ledger'), 'step-1\nstep-2\n');
  const journal = path.join(dir, '.cutover', 'e2e.journal.jsonl');
  mkdirSync(path.dirname(journal), { mode: 0o700 });
  if ('directory' in made) mkdirSync(journal);
  else if ('symlink' in made) symlinkSync(made.symlink, journal);
  else if ('fifo' in made) {
    const mkfifo = spawnSync('mkfifo', [journal]);
    if (mkfifo.status !== 0) context.skip();
  } else writeFileSync(journal, made, { mode: 0o600 });
  const snapshot = () => {
    const info = lstatSync(journal);
    if (info.isSymbolicLink()) return `symlink to ${readlinkSync(journal)}`;
    return info.isDirectory() ? 'directory' : info.isFIFO() ? 'fifo' : readFileSync(journal);
  };
  return { dir, journal, snapshot };
}

async function command(args: string[], dir: string, name: string): Promise<CliResult> {
  // A FIFO must not hang a command: a deadline, reported as a failure.
  const result = await startCli([...args, 'runbook.yaml'], { cwd: dir, env, timeoutMs: 20_000 }).done;
  expect(result.timedOut, `${name}: ${args.join(' ')} hung: ${describeResult(result)}`).toBe(false);
  expect(STACK_FRAME.test(result.stdout + result.stderr), `${name}: ${args.join(' ')} printed a stack trace:\n${result.stderr}`).toBe(false);
  return result;
}

/** At most 3 cases at a time: dozens of node processes at once only measure the machine. */
async function inPool<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

function checkDamage(result: CliResult, args: string[], kase: Case): void {
  const what = `${kase.name}: ${args.join(' ')} (seed ${seed}): ${describeResult(result)}`;
  expect(result.code, what).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, `${what}\nexpected a one-line explanation`).toHaveLength(1);
  expect(lines[0], what).toMatch(/journal/);
  if (kase.says) expect(lines[0], what).toMatch(kase.says);
  expect(result.stdout, what).toBe('');
}

describe.concurrent('a damaged journal: exit 2, one line, nothing written, nothing run', () => {
  const cases = () => [...truncationCases(), ...damageCases()];
  // The cases depend on the base journal made in beforeAll; one test per kind keeps the names stable.
  for (const expectation of ['damaged', 'torn', 'valid'] as const) {
    it(`every ${expectation} case via status, log and run --yes`, async (context) => {
      const selected = cases().filter((kase) => kase.expect === expectation);
      expect(selected.length).toBeGreaterThan(0);
      await inPool(selected, async (kase) => {
        const { dir, journal, snapshot } = setUp(context, kase.make());
        const before = snapshot();
        for (const args of [['status'], ['log'], ['run', '--yes']]) {
          const result = await command(args, dir, kase.name);
          const what = `${kase.name}: ${args.join(' ')} (seed ${seed}): ${describeResult(result)}`;
          if (expectation === 'damaged') {
            checkDamage(result, args, kase);
          } else {
            expect(result.code, what).toBe(0);
          }
          if (expectation === 'damaged' || args[0] !== 'run') {
            expect(snapshot(), `${what}\nthe journal changed`).toEqual(before);
          }
          expect(existsSync(`${journal}.lock`), `${what}\na lock was left behind`).toBe(false);
        }
        const ledger = readFileSync(path.join(dir, 'ledger'), 'utf8');
        if (expectation === 'damaged') {
          expect(ledger, `${kase.name}: a step ran on a damaged journal`).toBe('step-1\nstep-2\n');
          return;
        }
        // run went on: the trusted prefix is kept byte for byte, the chain is whole again, step-3 is done.
        const after = readFileSync(journal);
        const trusted = verifyChain((before as Buffer).toString('utf8'));
        const kept = (before as Buffer).subarray(0, trusted.validBytes);
        expect(after.subarray(0, kept.length).equals(kept), `${kase.name}: run rewrote the trusted part of the journal`).toBe(true);
        const repaired = verifyChain(after.toString('utf8'));
        expect(repaired.torn, kase.name).toBeUndefined();
        expect(repaired.unterminated, kase.name).toBe(false);
        expect(
          repaired.events.filter((e) => e.type === 'journal.repaired'),
          kase.name,
        ).toHaveLength(expectation === 'torn' ? 1 : 0);
        expect(ledger.split('\n').filter(Boolean), kase.name).toContain('step-3');
      });
    }, 150_000);
  }

  // Root reads and writes any file whatever its mode, so the refusal cannot be provoked as root.
  it.skipIf(isRoot())('a journal without read permission', async (context) => {
    const { dir, journal } = setUp(context, good);
    chmodSync(journal, 0o000);
    context.onTestFinished(() => chmodSync(journal, 0o600));
    for (const args of [['status'], ['log'], ['run', '--yes']]) {
      const result = await command(args, dir, 'no permission');
      checkDamage(result, args, { name: 'no permission', expect: 'damaged', says: /permission denied/, make: () => good });
    }
    chmodSync(journal, 0o600);
    expect(readFileSync(journal)).toEqual(good);
  });
});

describe('a torn last line is reported by the read-only commands too', () => {
  // docs/running.md: a torn last line is reported (and ignored) by every command, not only by writers.
  it('status and log warn that line N was cut off mid-write', async (context) => {
    const { dir } = setUp(context, Buffer.concat([good, Buffer.from('{"v":1,"seq":12,"ts":"2026')]));
    for (const args of [['status'], ['log']]) {
      const result = await command(args, dir, 'torn');
      expect(result.code).toBe(0);
      expect(result.stderr, args.join(' ')).toContain('line 12 was cut off');
    }
  });
});
