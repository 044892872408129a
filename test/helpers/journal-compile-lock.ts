/**
 * Compiles src/journal/lock.ts (and what it imports) into a temp directory for the
 * multi-process lock test. Child processes need JavaScript; compiling just this closure
 * keeps the test independent of a stale or half-built dist/ and of compile errors elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Returns the file URL of the compiled lock module, and the directory to remove afterwards. */
export function compileLockModule(): { url: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-lock-js-'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const args = [
    tsc,
    '--outDir',
    dir,
    '--rootDir',
    join(root, 'src'),
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2023',
    '--skipLibCheck',
    '--types',
    'node',
    join(root, 'src/journal/lock.ts'),
  ];
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const output = join(dir, 'journal', 'lock.js');
  if (!existsSync(output)) throw new Error(`could not compile src/journal/lock.ts:\n${result.stdout}${result.stderr}`);
  // Outside the project, .js is CommonJS unless a package.json says otherwise.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  return { url: pathToFileURL(output).href, dir };
}
