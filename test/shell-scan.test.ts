/**
 * The shell-context scanner, case by case (the property test in
 * test/torture/shell-contexts.test.ts runs generated scripts under real shells), and what
 * validate says about a refused reference: where it is and what to write instead.
 */
import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';
import { MARK, scanShell } from '../src/runbook/shell-scan.js';
import type { Dialect } from '../src/runbook/shell-scan.js';
import { analyseScript, displayScript, literalScript, runnableScript } from '../src/runbook/shell-values.js';

/** @ stands for a reference; the result is one word per reference. */
function scan(script: string, dialect: Dialect): string[] {
  return scanShell(script.replaceAll('@', MARK), dialect).map((finding) => ('placement' in finding ? finding.placement : `!${finding.refusal}`));
}

describe('scanShell', () => {
  it.each([
    ['echo @ "@" \'@\'', ['word', 'dquote', '!single-quotes']],
    ['cat <<EOF\nx=@ "@" `echo @`\nEOF\necho @', ['heredoc', 'heredoc', 'word', 'word']],
    ["cat <<'EOF'\nx=@\nEOF\necho @", ['!quoted-heredoc', 'word']],
    ['cat <<-"E"\n\t@\n\tE\necho @', ['!quoted-heredoc', 'word']],
    ['cat <<\\EOF\n@\nEOF', ['!quoted-heredoc']],
    ['cat <<E@\nx\nE', ['!heredoc-delimiter']],
    ['echo $(( @ + 1 )) $((1)) @', ['!arithmetic', 'word']],
    ['echo "$(( 1 + ")" ))" @', ['word']],
    ['case @ in @) echo @;; x|@) y;; esac; echo @', ['word', 'word', 'word', 'word', 'word']],
    ['x=$(case a in a) echo @;; esac); echo @', ['word', 'word']],
    ['echo `echo @` "`echo "@"`"', ['word', 'dquote']],
    ['echo `echo \\`echo @\\``', ['word']],
    ['echo ${a:-@} \\@ "\\@"', ['!nested-expansion', '!escaped', '!escaped']],
    ['eval echo @; let x=@; echo @; command eval @', ['!evaluated', '!evaluated', 'word', '!evaluated']],
    ['export A=@ @=1; read -p @ v @; printf -v @ %s x', ['word', '!variable-name', 'word', '!variable-name', '!variable-name']],
    ['sh -c @ sh @; bash -ec "echo @"; sudo -E sh -c @', ['!evaluated', 'word', '!evaluated', '!evaluated']],
    ['# comment @\necho @ # @', ['comment', 'word', 'comment']],
    ['f() { eval @; }; f', ['!evaluated']],
    ['echo <(echo @) 2>@ >>"@"', ['word', 'word', 'dquote']],
    ['for x in @; do echo "$x"; done', ['word']],
  ])('%j (both dialects)', (script, expected) => {
    expect(scan(script, 'posix')).toEqual(expected);
    expect(scan(script, 'bash')).toEqual(expected);
  });

  it.each([
    ['(( @ )); echo @', ['word', 'word'], ['!arithmetic', 'word']],
    ['for (( i = 0; i < @; i++ )); do :; done', ['word'], ['!arithmetic']],
    ['echo $[ @ ]', ['word'], ['!arithmetic']],
    ["echo $'@'", ['!single-quotes'], ['!single-quotes']],
    ['[[ @ == x ]] && [[ @ -eq 1 ]]', ['word', 'word'], ['word', '!test-operator']],
    ['[ -v @ ]; test @ = 1', ['!test-operator', 'word'], ['!test-operator', 'word']],
  ])('%j differs between dash and bash', (script, posix, bash) => {
    expect(scan(script, 'posix')).toEqual(posix);
    expect(scan(script, 'bash')).toEqual(bash);
  });

  it('never loops or throws on unfinished text', () => {
    for (const script of ['echo "@', "echo '@", 'echo $(@', 'echo `@', 'cat <<EOF\n@', 'echo ${@', 'echo $((@', 'case @ in', '\\']) {
      expect(scan(script, 'bash').length).toBe(script.split('@').length - 1);
    }
  });
});

describe('shell-values', () => {
  const lookup = (values: Record<string, string>) => (reference: { name: string }) => values[reference.name];

  it('sh is read as both dash and bash: a reference accepted by only one is refused', () => {
    expect(analyseScript('(( ${n} ))', 'sh').findings).toEqual([{ refusal: 'arithmetic' }]);
    expect(analyseScript('(( ${n} ))', 'dash').findings).toEqual([{ placement: 'word' }]);
    expect(analyseScript('echo ${n}', 'python3').findings).toEqual([{ refusal: 'unsupported-shell' }]);
  });

  it('writes a parameter expansion where the reference was, and the value beside the script', () => {
    const script = 'echo ${a} "${a} ${env.HOME}"\ncat <<EOF\n${b}\nEOF\necho $${HOME}';
    expect(runnableScript(script, 'sh', lookup({ a: 'x y', b: '$(id)', HOME: '/h' }))).toEqual({
      script: 'echo "${CUTOVER_VAR_a}" "${CUTOVER_VAR_a} ${CUTOVER_ENV_HOME}"\ncat <<EOF\n${CUTOVER_VAR_b}\nEOF\necho ${HOME}',
      values: { CUTOVER_VAR_a: 'x y', CUTOVER_ENV_HOME: '/h', CUTOVER_VAR_b: '$(id)' },
    });
  });

  it('hashes the value written in, shell-quoted in a word (as cutover always did) and escaped inside "…"', () => {
    const values = lookup({ a: 'x y', safe: 'v1.2', s: '${s}' });
    expect(literalScript('echo ${a} ${safe}', 'sh', values)).toBe("echo 'x y' v1.2");
    expect(literalScript('echo "${a} ${safe} ${s}"', 'sh', lookup({ a: 'x"$y', safe: 'v1.2', s: '${s}' }))).toBe('echo "x\\"\\$y v1.2 \'${s}\'"');
  });

  it('shows the values to people where the expansions are', () => {
    expect(displayScript({ script: 'echo "${CUTOVER_VAR_a}" "<${CUTOVER_VAR_a}>" ${HOME}', values: { CUTOVER_VAR_a: 'x "y"' } })).toBe(
      'echo \'x "y"\' "<x \\"y\\">" ${HOME}',
    );
    expect(displayScript({ script: 'echo hi' })).toBe('echo hi');
  });
});

describe('validate refuses a reference where it would not be data', () => {
  const runbook = (run: string) =>
    `cutover: 1\nname: t\nvars: { v: x }\nsteps:\n  - id: s\n    rollback: none\n    irreversible: test\n    run: |\n${run
      .split('\n')
      .map((line) => `      ${line}`)
      .join('\n')}\n`;

  it.each([
    ["echo '${v}'", 9, 13, 'inside single quotes'],
    ["cat <<'EOF'\nhost=${v}\nEOF", 10, 12, 'quoted here-document'],
    ['echo $(( ${v} + 1 ))', 9, 16, 'arithmetic'],
    ['eval "echo ${v}"', 9, 18, 'argument of eval'],
    ['printf %s "$${x:-${v}}"', 9, 24, 'parameter expansion'],
  ])('%j', (script, line, col, words) => {
    const result = loadRunbookText('t.yaml', runbook(script), { mode: 'validate' });
    expect(result.ok).toBe(false);
    const found = result.diagnostics.filter((d) => d.rule === 'shell-context');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line, col });
    expect(found[0]?.message).toContain(words);
    expect(found[0]?.message).toContain('${v}');
  });

  it('names the env: alternative', () => {
    const result = loadRunbookText('t.yaml', runbook("echo '${v}'"), { mode: 'validate' });
    expect(result.ok ? '' : result.diagnostics[0]?.message).toContain('env: {V: "${v}"} and write "$V"');
  });

  it('checks every shell script of a step, and a chosen shell', () => {
    const text = `cutover: 1
name: t
vars: { v: x }
steps:
  - id: s
    precheck: [ "echo '\${v}'" ]
    run: { sh: "echo $(( \${v} ))", shell: bash }
    verify: { sh: "print('\${v}')", shell: python3 }
    rollback: { run: "echo '\${v}'", verify: "echo '\${v}'" }
    watch: "echo '\${v}'"
    bake: 1m
`;
    const result = loadRunbookText('t.yaml', text, { mode: 'validate' });
    expect(result.ok ? [] : result.diagnostics.filter((d) => d.rule === 'shell-context').map((d) => d.line)).toEqual([6, 7, 8, 9, 9, 10]);
  });
});
