/**
 * Shared pieces of the torture tests: a seeded PRNG (so a failure can be replayed by its
 * seed), the seed itself, and file-system probes. Running the CLI, reading journals and
 * ledgers is done with the end-to-end helpers in ../e2e/helpers.ts.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG. Same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source with the helpers the tests need. */
export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  /** [0, 1) */
  float(): number {
    return this.next();
  }
  /** An integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/**
 * `npm run torture` (test/torture/run.mjs) sets TORTURE_LONG=1: the long campaigns, with fresh
 * seeds. `npm test` runs short ones with a fixed seed, so CI is repeatable and bounded.
 */
export const LONG = process.env.TORTURE_LONG === '1';

/** The size of a campaign: `short` in `npm test`, `long` under `npm run torture`. */
export function sized<T>(short: T, long: T): T {
  return LONG ? long : short;
}

/** The seed of `npm test`'s short campaigns. */
export const FIXED_SEED = 20_260_417;

/**
 * The seed of this run: TORTURE_SEED when set (to replay a failure), otherwise FIXED_SEED in
 * `npm test` and a fresh one under `npm run torture`. Every failure message prints it.
 */
export function tortureSeed(): number {
  const fromEnv = process.env.TORTURE_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`TORTURE_SEED=${fromEnv}: expected an integer in 0..4294967295`);
    return seed;
  }
  return LONG ? Math.floor(Math.random() * 0xffffffff) >>> 0 : FIXED_SEED;
}

/** A stack frame line as Node prints it ("    at foo (file.js:1:2)"). */
export const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

/** Every regular file under dir (symlinks not followed), as absolute paths. */
export function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const info = lstatSync(full);
    if (info.isDirectory()) out.push(...allFiles(full));
    else if (info.isFile()) out.push(full);
  }
  return out;
}

/** The files under dir whose bytes contain needle. */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  return allFiles(dir).filter((file) => readFileSync(file).includes(bytes));
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
