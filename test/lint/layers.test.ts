/**
 * `npm run lint` keeps the layers of src/ pointing down and free of import cycles: each
 * deliberate violation below, linted with the project's own eslint.config.js as if it were
 * a file in the tree, must fail.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error eslint.config.js is plain JavaScript without types
import { LAYERS } from '../../eslint.config.js';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const layers = LAYERS as Record<string, string[]>;
const folders = Object.keys(layers);

async function problems(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer rules', () => {
  const lower = folders.filter((folder) => folder !== 'cli');

  it('name every folder of src/', async () => {
    const { readdirSync } = await import('node:fs');
    const actual = readdirSync(new URL('../../src', import.meta.url), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.sort()).toEqual(actual.sort());
  });

  const upward = lower.flatMap((folder) =>
    folders.filter((other) => other !== folder && !layers[folder]!.includes(other)).map((other) => [folder, other] as const),
  );
  it.each(upward)('fail src/%s importing src/%s (static, re-export and lazy import)', async (folder, other) => {
    const found = await problems(
      `src/${folder}/probe.ts`,
      `import { a } from '../${other}/x.js';\nexport { b } from '../${other}/y.js';\nexport const c = a;\nexport const d = () => import('../${other}/z.js');\n`,
    );
    expect(found.filter((p) => p.startsWith('no-restricted-imports'))).toHaveLength(2);
    expect(found.filter((p) => p.startsWith('no-restricted-syntax'))).toHaveLength(1);
    expect(found[0]).toContain(`src/${folder} may import only`);
  });

  it('fail from a nested folder too', async () => {
    expect(await problems('src/actions/traffic/probe.ts', "export { run } from '../../engine/run.js';\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*src\/actions may import only/),
    ]);
  });

  it('let every folder import the folders below it', async () => {
    for (const folder of folders) {
      const text = layers[folder]!.map((other, i) => `export { x${i} } from '../${other}/x.js';`).join('\n') + '\n';
      expect(await problems(`src/${folder}/probe.ts`, text)).toEqual([]);
    }
  });

  it.each(lower)('forbid process.exit in src/%s', async (folder) => {
    expect(await problems(`src/${folder}/probe.ts`, 'export const stop = () => process.exit(1);\n')).toEqual([
      'no-restricted-syntax: Only src/cli may exit the process.',
    ]);
  });
});

describe('import cycles', () => {
  it('fail a module that imports one that imports it back', async () => {
    // interrupted.ts imports orphans.ts at run time.
    const found = await problems('src/engine/orphans.ts', "import { resolveInterrupted } from './interrupted.js';\nexport const r = resolveInterrupted;\n");
    expect(found).toEqual([
      'cutover/no-import-cycle: Import cycle: engine/orphans.ts -> engine/interrupted.ts -> engine/orphans.ts. Move what both need into a module below them.',
    ]);
  });

  it('fail a longer cycle and a lazy one, not a type-only import', async () => {
    // execute-rollback.ts -> rollback-recovery.ts -> orphans.ts
    expect(await problems('src/engine/orphans.ts', "export const load = () => import('./execute-rollback.js');\n")).toEqual([
      expect.stringContaining('engine/orphans.ts -> engine/execute-rollback.ts -> engine/rollback-recovery.ts -> engine/orphans.ts'),
    ]);
    expect(await problems('src/engine/orphans.ts', "import type { RollbackResult } from './execute-rollback.js';\nexport type R = RollbackResult;\n")).toEqual(
      [],
    );
  });
});
