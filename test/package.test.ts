/**
 * The published package works on a clean machine: `npm pack` of the built tree, installed
 * into an empty folder (dependencies from the npm cache that `npm ci` filled, the registry
 * otherwise), then `cutover --help`, `validate` of the quickstart example, and `validate`
 * of a broken runbook (the slow path that reports positions loads the `yaml` dependency at
 * run time). The tarball holds the bundle and nothing a user does not run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICKSTART, removeDir, requireBuild, ROOT, tempDir } from './e2e/helpers.js';

const work = tempDir('cutover-pack-');
afterAll(() => removeDir(work));

/** npm without the variables of the npm that runs the tests (its prefix, its script). */
function npm(args: string[], cwd: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  const result = spawnSync('npm', args, { cwd, env: { ...env, npm_config_update_notifier: 'false' }, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let files: string[] = [];
let bin = '';

beforeAll(() => {
  requireBuild();
  // --ignore-scripts: the tree is built already (requireBuild), `prepare` would build it again.
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  files = packed!.files.map((file) => file.path);
  const app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', path.join(work, packed!.filename)], app);
  bin = path.join(app, 'node_modules', '.bin', 'cutover');
}, 300_000);

describe('npm pack', () => {
  it('holds the bundle, the schema and the license, not the per-file build, sources or source maps', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'bin/cutover',
        'bin/package.json',
        'dist/bin/main.js',
        'dist/bin/launch.cjs',
        'dist/bin/help.txt',
        'schema/runbook.schema.json',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.map') || file.endsWith('.ts') || (file.startsWith('dist/') && !file.startsWith('dist/bin/')))).toEqual([]);
  });

  it('installs, and the installed cutover answers --help and validates runbooks', () => {
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: cutover');

    const dir = tempDir('cutover-pack-run-');
    try {
      copyFileSync(QUICKSTART, path.join(dir, 'quickstart.yaml'));
      const valid = spawnSync(bin, ['validate', 'quickstart.yaml'], { cwd: dir, encoding: 'utf8' });
      expect(valid.status, valid.stderr).toBe(0);
      expect(valid.stdout + valid.stderr).toContain('valid: quickstart.yaml');

      writeFileSync(
        path.join(dir, 'broken.yaml'),
        'cutover: 1\nname: broken\nsteps:\n  - id: a\n    run: echo a\n    verfy: true\n    rollback: none\n    irreversible: test\n',
      );
      const broken = spawnSync(bin, ['validate', 'broken.yaml'], { cwd: dir, encoding: 'utf8' });
      expect(broken.status, broken.stdout + broken.stderr).toBe(2);
      expect(broken.stdout).toContain('broken.yaml:6:5: unknown key "verfy" in a step; did you mean "verify"?');
    } finally {
      removeDir(dir);
    }
  });
});
