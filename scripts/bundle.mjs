#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/cli/main.js and everything it imports lazily) into
 * dist/bin/, which bin/cutover runs. Loading a few chunks instead of ~100 small ES
 * modules and zod's and yaml's own files saves about a tenth of a second on every
 * command (see bench/). Dynamic imports stay separate chunks, so `--help` and `status`
 * still load only what they use.
 *
 * Left external: the AWS SDK, execa, listr2 and enquirer. They are imported lazily
 * (only for steps that need them), and some resolve files at run time.
 * The per-file build in dist/ stays: tests and benchmarks import modules from it.
 */
import { build, transform } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// Chunk names carry content hashes: without this, every build would leave the old ones behind.
rmSync(new URL('../dist/bin', import.meta.url), { recursive: true, force: true });

/**
 * zod's namespace re-exports every locale (about 350 KB, half of zod in the bundle), and a
 * namespace export cannot be tree-shaken. cutover writes its own messages and uses zod's
 * English defaults only, so the locale index is replaced by English alone: every command
 * that loads a runbook parses that much less code.
 */
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * Dependencies bundled into the CLI are minified (whitespace and local names) as they are
 * loaded: less code for V8 to parse on every start. cutover's own code is only
 * syntax-minified, so an internal error's stack still names readable lines.
 */
const minifiedDependencies = {
  name: 'minified-dependencies',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]node_modules[\\/].*\.(c|m)?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const { code } = await transform(source, { loader: 'js', minify: true, sourcefile: args.path, target: 'node20' });
      return { contents: code, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const main = await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js'],
  metafile: true,
  plugins: [englishOnlyZodLocales, minifiedDependencies],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Syntax only: lines and identifiers stay readable in the stack of an internal error.
  minifySyntax: true,
  sourcemap: true,
  external: ['@aws-sdk/*', 'execa', 'listr2', 'enquirer'],
  // commander is CommonJS; esbuild's ESM output needs a real `require` for its node: imports.
  banner: { js: "import { createRequire as __cutoverRequire } from 'node:module'; const require = __cutoverRequire(import.meta.url);" },
  logLevel: 'warning',
});

// Parsing the command line loads the command tree (program.ts and every module in
// cli/commands/) and nothing a command does: a handler imports its work when it runs. So the
// chunk of run-cli.js and what it imports statically must not hold engine, journal, runbook,
// actions, AWS or report code (journal/errors.js, the error types the one top-level catch
// maps to exit codes, is the exception: error-exit.ts).
const outputs = main.metafile.outputs;
const cliChunk = Object.keys(outputs).find((file) => outputs[file].entryPoint === 'dist/cli/run-cli.js');
if (!cliChunk) throw new Error('bundle: no chunk for dist/cli/run-cli.js');
const loaded = new Set();
const pending = [cliChunk];
while (pending.length > 0) {
  const file = pending.pop();
  if (loaded.has(file)) continue;
  loaded.add(file);
  for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
}
const eager = [...loaded]
  .flatMap((file) => Object.keys(outputs[file].inputs))
  .filter((input) => /\/(engine|journal|actions|aws|report|runbook|cli\/handlers)\//.test(input) && !input.endsWith('journal/errors.js'));
if (eager.length > 0) throw new Error(`bundle: building the command tree loads what commands do (import it in the handler instead): ${eager.join(', ')}`);

// What bin/cutover loads first: --help and the quick `status` path as one CommonJS file, so
// they skip the ES module loader (src/cli/launch.ts). It must stay small and self-contained:
// anything imported lazily there would be inlined, so the build fails instead.
const launch = await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/launch.js'],
  outfile: 'dist/bin/launch.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const launchInputs = Object.keys(launch.metafile.inputs);
// engine/next.js is the exception: status asks the same pure "what happens next" as run.
const heavy = launchInputs.filter(
  (input) => input.includes('node_modules') || (/\/(runbook\/(load|source|schema)|engine|actions|aws)\//.test(input) && !input.endsWith('engine/next.js')),
);
// What node loads and parses on every `status`: the code, not its source map (read only for a stack).
const launchBytes = Object.entries(launch.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .reduce((sum, [, output]) => sum + (output.bytes ?? 0), 0);
if (heavy.length > 0 || launchBytes > 200_000) {
  throw new Error(`dist/bin/launch.cjs must stay small (${launchBytes} bytes); it pulls in: ${heavy.join(', ') || 'too much'}`);
}

// The prerendered `cutover --help` sits next to the bundled entry point (see src/cli/main.ts).
const { renderHelp } = await import(new URL('../dist/cli/render-help.js', import.meta.url).href);
const help = renderHelp();
writeFileSync(new URL('../dist/bin/help.txt', import.meta.url), help);
writeFileSync(new URL('../dist/cli/help.txt', import.meta.url), help);
