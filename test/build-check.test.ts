/** requireBuild's check: the bundle bin/cutover runs must exist and be newer than src/. */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeDir, staleBuild, tempDir } from './e2e/helpers.js';

let root: string;
afterEach(() => removeDir(root));

function tree(ages: Record<string, number>): void {
  root = tempDir('cutover-build-check-');
  const now = Date.now() / 1000;
  for (const [file, ageSeconds] of Object.entries(ages)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), '');
    utimesSync(path.join(root, file), now - ageSeconds, now - ageSeconds);
  }
}

describe('staleBuild', () => {
  it('passes a bundle newer than every source file', () => {
    tree({ 'dist/bin/main.js': 10, 'dist/bin/launch.cjs': 10, 'src/engine/run.ts': 60, 'src/cli/main.ts': 60 });
    expect(staleBuild(root)).toBeUndefined();
  });

  it('names the source file edited after the build, and says npm run build', () => {
    tree({ 'dist/bin/main.js': 10, 'dist/bin/launch.cjs': 10, 'src/engine/run.ts': 60, 'src/engine/deep/next.ts': 5 });
    expect(staleBuild(root)).toBe('dist/bin/ is older than src/engine/deep/next.ts: rebuild with "npm run build" (npm test does it)');
  });

  it('says npm run build when only the per-file build exists (npx tsc -p tsconfig.build.json)', () => {
    tree({ 'dist/cli/main.js': 1, 'src/engine/run.ts': 60 });
    expect(staleBuild(root)).toBe('dist/bin/ is missing: build first with "npm run build" (npm test does it)');
  });
});
