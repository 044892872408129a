/**
 * validate's side of shell-values.ts: every reference in a step's shell scripts must sit
 * where a parameter expansion is data and is expanded. The others are refused, each at
 * its own position, with what to write instead.
 */
import type { PathSegment } from './source.js';
import { refusalsIn } from './shell-values.js';
import type { ValueReference } from './shell-values.js';
import type { Refusal } from './shell-scan.js';

export type ShellScriptReport = (path: readonly PathSegment[], index: number, length: number, message: string) => void;

type Raw = Record<string, unknown>;

export function checkShellScripts(step: Raw, at: (...rest: PathSegment[]) => PathSegment[], report: ShellScriptReport): void {
  for (const { path, script, shell } of shellScriptsOf(step, at)) {
    for (const { reference, refusal, command } of refusalsIn(script, shell)) {
      report(path, reference.index, reference.length, refusalMessage(reference, refusal, shell, command));
    }
  }
}

interface Script {
  path: PathSegment[];
  script: string;
  shell: string;
}

/** The shell scripts of a raw step: `run`, `rollback`, `rollback.run` and every check. */
function shellScriptsOf(step: Raw, at: (...rest: PathSegment[]) => PathSegment[]): Script[] {
  const out: Script[] = [];
  const action = (value: unknown, path: PathSegment[]) => {
    if (typeof value === 'string') out.push({ path, script: value, shell: 'sh' });
    else if (isRecord(value) && typeof value.sh === 'string')
      out.push({ path: [...path, 'sh'], script: value.sh, shell: typeof value.shell === 'string' ? value.shell : 'sh' });
  };
  const check = (value: unknown, path: PathSegment[]) => {
    if (Array.isArray(value)) value.forEach((item, i) => action(item, [...path, i]));
    else action(value, path);
  };
  action(step.run, at('run'));
  const rollback = step.rollback;
  if (rollback !== 'none') action(rollback, at('rollback'));
  if (isRecord(rollback)) {
    action(rollback.run, at('rollback', 'run'));
    check(rollback.verify, at('rollback', 'verify'));
  }
  for (const key of ['precheck', 'verify', 'watch']) check(step[key], at(key));
  return out;
}

function refusalMessage(reference: ValueReference, refusal: Refusal, shell: string, command: string | undefined): string {
  const ref = reference.kind === 'env' ? `\${env.${reference.name}}` : `\${${reference.name}}`;
  const upper = reference.name.replace('.', '_').toUpperCase();
  const viaEnv = `or pass it as env: {${upper}: "${ref}"} and write "$${upper}"`;
  switch (refusal) {
    case 'single-quotes':
      return `${ref} is inside single quotes, where the shell expands nothing, so its value would not arrive; end the quotes before it and reopen them after it ('…'${ref}'…'), ${viaEnv}`;
    case 'quoted-heredoc':
      return `${ref} is in a quoted here-document (<<'EOF'), which the shell never expands, so its value would not arrive; use an unquoted delimiter (<<EOF; the value stays data there, and other $ and \` need a backslash), ${viaEnv}`;
    case 'heredoc-delimiter':
      return `${ref} cannot be part of a here-document delimiter, which the shell does not expand; write the delimiter literally`;
    case 'arithmetic':
      return `${ref} is inside arithmetic ($(( )), (( )) or $[ ]), where bash evaluates the value as an expression and runs any $(…) in it; check it is a number first (n=${ref}; case $n in ''|*[!0-9]*) exit 1;; esac) and use $n`;
    case 'nested-expansion':
      return `${ref} is inside a shell parameter expansion \${…}, where bash may evaluate it as a subscript or an offset; assign it to a shell variable first (v=${ref}) and use "$v"`;
    case 'escaped':
      return `${ref} follows a backslash or a $, which would change how the shell reads it; remove that character (write \\\\ for a literal backslash, or put the reference in double quotes)`;
    case 'evaluated':
      return `${ref} is an argument of ${command ?? 'a command'}, which runs its arguments as shell code, so its value would become code; pass the value as data (a separate argument, "$1" in the child script)`;
    case 'variable-name':
      return `${ref} names a shell variable for ${command ?? 'this builtin'}, and bash evaluates a subscript in a name (a[$(…)]) as code; use a fixed variable name and put the value on the right of =`;
    case 'test-operator':
      return `${ref} is an operand of ${command === '[[' ? 'an arithmetic comparison (-eq, -lt, …) or -v in [[ ]]' : '-v or -R'}, where bash evaluates it as an expression and runs any $(…) in it; compare numbers with [ ] (test), which does not evaluate`;
    case 'ambiguous':
      return `${ref} is in a place that dash and bash read differently (sh may be either); use "shell: bash" or "shell: dash", or move the reference out of it`;
    case 'unsupported-shell':
      return `"shell: ${shell}" is not a POSIX shell (sh, bash, dash, ksh, zsh), so cutover cannot place ${ref} in its script safely; pass it as env: {${upper}: "${ref}"} and read ${upper} from the environment`;
  }
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
