/**
 * No value is ever executed by the shell, in any context: generated scripts place a
 * reference in every shell context (plain words, single and double quotes, quoted and
 * unquoted here-documents, $( ), backticks, arithmetic, case words and patterns, eval,
 * [[ ]], comments) and nest them (command substitutions, backticks, here-documents,
 * subshells, functions, pipelines). Each script is loaded by the real loader with a
 * hostile value. A script that validate refuses is safe by definition; every accepted one
 * runs under both dash and bash (real binaries: a script for `sh` must be safe under
 * either), with the environment and arguments that src/actions/shell.ts would give it.
 * Asserted: no PWNED file ever appears, and where the context promises it, the value
 * arrives byte for byte.
 *
 * Fixed seed, so `npm test` is repeatable (150 generated scripts; 1000 under `npm run
 * torture`); TORTURE_SEED=<n> and SHELL_PROPERTY_RUNS=<n> explore further. Without dash or
 * bash the shell is skipped with a warning, except on CI (CI=true), where it is a failure
 * (.ci/run installs both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { shellSpec } from '../../src/actions/shell.js';
import { loadRunbookText } from '../../src/runbook/load.js';
import type { ShellAction } from '../../src/runbook/types.js';
import { sized } from './support.js';

const SEED = process.env.TORTURE_SEED ? Number(process.env.TORTURE_SEED) : 15_015;
const RUNS = process.env.SHELL_PROPERTY_RUNS ? Number(process.env.SHELL_PROPERTY_RUNS) : sized(150, 1000);

function findShell(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const SHELLS = { dash: findShell('dash'), bash: findShell('bash') };
for (const [name, found] of Object.entries(SHELLS)) {
  if (found) continue;
  if (process.env.CI === 'true') throw new Error(`${name} is not installed; the shell-context property test needs it (.ci/run installs it with apt)`);
  console.warn(`warning: ${name} not found on PATH: the shell-context property test skips it`);
}

/** R stands for the reference; `out` transforms the value into what the snippet prints (undefined: not checked byte for byte). */
interface Producer {
  code: string;
  out: (value: string) => string | undefined;
  /** Only bash reads it this way (the script is then given to bash alone). */
  bashOnly?: boolean;
}

const same = (value: string) => value;
const unchecked = () => undefined;
const chomp = (text: string | undefined) => text?.replace(/\n+$/, '');

const base: Producer[] = [
  { code: "printf '%s' R", out: same },
  { code: 'printf "%s" "R"', out: same },
  { code: 'printf "%s" "<R>"', out: (v) => `<${v}>` },
  { code: "printf '%s' x'R'y", out: unchecked },
  { code: "printf '%s' 'R'", out: unchecked },
  { code: 'cat <<EOF\nR\nEOF', out: (v) => `${v}\n` },
  { code: 'cat <<-EOF\n\tline R end\n\tEOF', out: (v) => `line ${v} end\n` },
  { code: 'cat <<"EOF"\nR\nEOF', out: unchecked },
  { code: "cat <<'EOF'\nR $(touch PWNED)\nEOF", out: unchecked },
  { code: 'printf "%s" $(( R ))', out: unchecked },
  { code: 'printf "%s" "$(( R + 1 ))"', out: unchecked },
  { code: '(( R )); printf x', out: unchecked, bashOnly: true },
  { code: 'case R in R) printf "%s" R;; *) printf nomatch;; esac', out: same },
  { code: 'case x in R|x) printf "%s" "R";; esac', out: same },
  { code: 'eval "printf \'%s\' R"', out: unchecked },
  { code: 'let x=R; printf x', out: unchecked },
  { code: '[[ R == R ]] && printf "%s" R', out: same, bashOnly: true },
  { code: '[[ R -eq 1 ]]; printf x', out: unchecked, bashOnly: true },
  { code: '[ -v R ]; printf x', out: unchecked },
  { code: 'x=R; printf "%s" "$x"', out: same },
  { code: 'export X=R; printf "%s" "$X"', out: same },
  { code: 'printf "%s" "$${unset_var:-R}"', out: unchecked },
  { code: 'printf "%s" \\R', out: unchecked },
  { code: "printf '%s' $'R'", out: unchecked, bashOnly: true },
  { code: 'printf "%s" R # R', out: same },
  { code: 'sh -c "printf %s R"', out: unchecked },
  { code: 'sh -c \'printf %s "$1"\' sh R', out: same },
];

/** Wrappers: each takes a producer and gives one that prints (a transform of) what it prints. */
const wrappers: ((inner: Producer) => Producer)[] = [
  (p) => ({ ...p, code: `printf '%s' "$(\n${p.code}\n)"`, out: (v) => chomp(p.out(v)) }),
  (p) => ({ ...p, code: `printf '%s' "[$(\n${p.code}\n)]"`, out: (v) => wrap(chomp(p.out(v)), '[', ']') }),
  (p) => ({ ...p, code: `printf '%s' $(\n${p.code}\n)`, out: unchecked }),
  (p) => ({ ...p, code: `printf '%s' "\`\n${backtickEscape(p.code)}\n\`"`, out: (v) => chomp(p.out(v)) }),
  (p) => ({ ...p, code: `echo \`\n${backtickEscape(p.code)}\n\``, out: unchecked }),
  // Its own delimiter: an inner here-document's EOF line would end this one too.
  (p) => ({ ...p, code: `cat <<E${p.code.length}\n$(\n${p.code}\n)\nE${p.code.length}`, out: (v) => wrap(chomp(p.out(v)), '', '\n') }),
  (p) => ({ ...p, code: `( ${p.code}\n)` }),
  (p) => ({ ...p, code: `{ ${p.code}\n}` }),
  (p) => ({ ...p, code: `{ ${p.code}\n} | cat` }),
  (p) => ({ ...p, code: `if true; then ${p.code}\nfi` }),
  (p) => ({ ...p, code: `f() {\n${p.code}\n}\nf` }),
  (p) => ({ ...p, code: `case go in go) ${p.code}\n;; esac` }),
];

function wrap(text: string | undefined, before: string, after: string): string | undefined {
  return text === undefined ? undefined : `${before}${text}${after}`;
}

/** Inside backticks, \ and ` must be escaped to nest. */
function backtickEscape(code: string): string {
  return code.replace(/[\\`]/g, '\\$&');
}

const producer: fc.Arbitrary<Producer> = fc
  .tuple(fc.constantFrom(...base), fc.array(fc.constantFrom(...wrappers), { maxLength: 3 }))
  .map(([inner, chain]) => chain.reduce((p, w) => w(p), inner));

const HOSTILE = [
  '$(touch PWNED)',
  '`touch PWNED`',
  '"; touch PWNED; echo "',
  "'; touch PWNED; echo '",
  ') touch PWNED; (',
  'a[$(touch PWNED)]',
  'x[`touch PWNED`]',
  '\nEOF\ntouch PWNED\n',
  'EOF',
  '\n\tEOF\ntouch PWNED',
  ';;) touch PWNED;; esac; case x in x',
  '${IFS}',
  '$(IFS=,;touch${IFS}PWNED)',
  '$((1+1))',
  '*',
  '?',
  '[a]',
  '~',
  '\\',
  '\\$(touch PWNED)',
  "'",
  '"',
  '`',
  '$',
  '#',
  ' ',
  '\t',
  '\n',
  '-n',
  '%s',
  'é✓🚀',
  '',
];
const token = fc.oneof(fc.constantFrom(...HOSTILE), fc.stringMatching(/^[a-z0-9 ._-]{0,6}$/));
const value: fc.Arbitrary<string> = fc.array(token, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));

/** Where the value comes from: a variable given with --var, or ${env.NAME}. */
const origin = fc.constantFrom('var', 'env') as fc.Arbitrary<'var' | 'env'>;
/** The runbook's `shell:`: sh must be safe under dash and bash, since it is either. */
const shellName = fc.constantFrom('sh', 'bash', 'dash');

const work = mkdtempSync(path.join(tmpdir(), 'cutover-shell-contexts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  refused: boolean;
  ran: number;
}

const tally = { refused: 0, ran: 0, checked: 0 };

/**
 * Runs already made (shell binary, arguments, environment): `shell: sh` runs under dash and
 * bash, so `shell: dash` and `shell: bash` often produce the very same process; running it
 * again would prove nothing new. Its expected output is part of the key.
 */
const alreadyRan = new Set<string>();

function check(p: Producer, hostile: string, from: 'var' | 'env', shell: string): Outcome {
  const reference = from === 'var' ? '${v}' : '${env.HOSTILE_VALUE}';
  const script = `{ ${p.code.replaceAll('R', reference)}\n} > out`;
  const runbook = {
    cutover: 1,
    name: 'p',
    vars: { v: 'placeholder' },
    steps: [{ id: 's', run: { sh: script, shell }, rollback: 'none', irreversible: 'test' }],
  };
  const loaded = loadRunbookText('p.yaml', JSON.stringify(runbook), { overrides: { flags: [`v=${hostile}`] }, env: { HOSTILE_VALUE: hostile } });
  if (!loaded.ok) {
    const other = loaded.diagnostics.filter((d) => d.severity === 'error' && d.rule !== 'shell-context');
    if (other.length > 0) throw new Error(`unexpected diagnostics: ${JSON.stringify(other)}\n${script}`);
    return { refused: true, ran: 0 };
  }
  const action = loaded.runbook.steps[0]?.action as ShellAction;
  if (hostile.length > 2 && action.script.includes(hostile) && !script.includes(hostile)) throw new Error(`the value is part of the script:\n${action.script}`);
  const spec = shellSpec(action);
  const binaries = (shell === 'sh' ? ['dash', 'bash'] : [shell]).filter((name) => !(p.bashOnly && name === 'dash'));
  let ran = 0;
  for (const name of binaries) {
    const binary = SHELLS[name as keyof typeof SHELLS];
    if (!binary) continue;
    const key = JSON.stringify([binary, spec.args, spec.env, p.out(hostile)]);
    if (alreadyRan.has(key)) {
      ran++;
      continue;
    }
    alreadyRan.add(key);
    const dir = mkdtempSync(path.join(work, `${name}-`));
    const result = spawnSync(binary, spec.args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...spec.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
      encoding: 'utf8',
    });
    const context = `${name} -c ${JSON.stringify(action.script)}\nvalues: ${JSON.stringify(spec.env)}\nfrom: ${JSON.stringify(p.code)}\nstderr: ${result.stderr}`;
    if (result.error) throw new Error(`${String(result.error)}\n${context}`);
    const files = readdirSync(dir);
    if (files.some((file) => file.includes('PWNED'))) throw new Error(`the value was executed (PWNED exists)\n${context}`);
    const expected = p.out(hostile);
    if (expected !== undefined) {
      const actual = existsSync(path.join(dir, 'out')) ? readFileSync(path.join(dir, 'out'), 'utf8') : '<no out file>';
      if (actual !== expected)
        throw new Error(`the value did not arrive verbatim: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}\n${context}`);
      tally.checked++;
    }
    rmSync(dir, { recursive: true, force: true });
    ran++;
  }
  return { refused: false, ran };
}

describe('a value never runs as shell code (dash and bash)', () => {
  it(`generated scripts × contexts × hostile values (seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(producer, value, origin, shellName, (p, hostile, from, shell) => {
        const outcome = check(p, hostile, from, shell);
        if (outcome.refused) tally.refused++;
        tally.ran += outcome.ran;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The generator reaches both sides: accepted scripts that ran and refused ones.
    expect(tally.refused).toBeGreaterThan(RUNS / 10);
    if (SHELLS.dash || SHELLS.bash) expect(tally.checked).toBeGreaterThan(RUNS / 10);
  }, 300_000);

  it('every base context with every hostile value, under every shell name', () => {
    for (const p of base) for (const hostile of HOSTILE) for (const shell of ['sh', 'bash', 'dash']) check(p, hostile, 'var', shell);
  }, 300_000);

  it('refuses the contexts where a parameter expansion would not be data or would not arrive', () => {
    const refused = (code: string, shell = 'sh') => check({ code, out: unchecked }, 'x', 'var', shell).refused;
    for (const code of [
      "printf '%s' 'R'",
      'cat <<"EOF"\nR\nEOF',
      'printf "%s" $(( R ))',
      'eval "echo R"',
      'printf "%s" "$${unset_var:-R}"',
      'printf "%s" \\R',
    ]) {
      expect(refused(code), code).toBe(true);
    }
    expect(refused('(( R ))', 'bash')).toBe(true);
    expect(refused('[[ R -eq 1 ]]', 'bash')).toBe(true);
    for (const code of ["printf '%s' R", 'printf "%s" "R"', 'cat <<EOF\nR\nEOF', 'case R in R) ;; esac', 'printf \'%s\' "`echo R`"']) {
      expect(refused(code), code).toBe(false);
    }
  });
});
