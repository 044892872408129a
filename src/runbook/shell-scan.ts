/**
 * Where each cutover reference sits in a shell script, as the shell will read it.
 *
 * The loader never splices a value into a script: a reference becomes a parameter
 * expansion of an environment variable that holds the value (shell-values.ts). A parameter
 * expansion is data in most places, but not everywhere: inside single quotes or a quoted
 * here-document it is not expanded at all, and in arithmetic (and a few bash builtins) bash
 * evaluates the expanded text as an expression, running any `$(…)` in a subscript. This
 * scanner tells the two apart, so that `validate` can refuse the second kind with a position.
 *
 * The input is the script with each reference replaced by MARK (one character, which a
 * runbook cannot contain). The lexer follows the POSIX shell grammar (and bash's additions
 * in the bash dialect) as far as quoting, expansions, here-documents, `case` and command
 * names go; it is not a full parser. Where it is unsure it errs towards refusing, and a
 * misread can only ever misplace a parameter expansion, never splice a value.
 */

export const MARK = '\u0000';

export type Dialect = 'posix' | 'bash';

/** Accepted places: a plain word (also `case` words and patterns, `$( )`, backticks), inside "…", an unquoted here-document body, a comment. */
export type Placement = 'word' | 'dquote' | 'heredoc' | 'comment';

export type Refusal =
  | 'single-quotes'
  | 'quoted-heredoc'
  | 'heredoc-delimiter'
  | 'arithmetic'
  | 'nested-expansion'
  | 'escaped'
  | 'evaluated'
  | 'variable-name'
  | 'test-operator'
  | 'ambiguous'
  /** Set by shell-values.ts: the script's shell is not one whose grammar this file knows. */
  | 'unsupported-shell';

export type Finding = { placement: Placement } | { refusal: Refusal; command?: string };

interface Mark {
  at: number;
  finding: Finding;
  /** In a word, before its first unquoted `=` (the name side of `name=value`). */
  nameSide?: boolean;
}

/** One finding per MARK in `text`, in order. */
export function scanShell(text: string, dialect: Dialect): Finding[] {
  const marks = new Lexer(text, 0, undefined, dialect).script('eof');
  const byOffset = new Map(marks.map((mark) => [mark.at, mark.finding]));
  const findings: Finding[] = [];
  for (let i = text.indexOf(MARK); i !== -1; i = text.indexOf(MARK, i + 1)) {
    // Not reached by the lexer (it cannot happen; refusing is the safe answer if it did).
    findings.push(byOffset.get(i) ?? { refusal: 'ambiguous' });
  }
  return findings;
}

const BLANK = new Set([' ', '\t']);
// eslint-disable-next-line no-control-regex -- MARK (NUL) stands for a reference
const PLAIN = /[^ \t\n;&|()<>\\'"$`=\u0000]+/y;
const META = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMETER = /[@*#?$!0-9-]/;
/** Reserved words after which a new command starts. */
const OPENERS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '{', '!', 'time']);
const CLOSERS = new Set(['fi', 'done', '}']);

interface Word {
  /** The word after quote removal (expansions left out); decides keywords and command names. */
  text: string;
  /** Any quoting or expansion in it (a quoted word is never a reserved word). */
  quoted: boolean;
  marks: Mark[];
  /** Words before the command's name (assignments) and redirection targets are not arguments. */
  role?: 'assignment' | 'redirect';
}

interface CaseFrame {
  phase: 'subject' | 'in' | 'pattern' | 'body';
}

interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

class Lexer {
  private i = 0;

  constructor(
    private readonly s: string,
    /** Offset in the original script of this text's first character. */
    private readonly base: number,
    /** Offset in the original script of each character, where they are not consecutive (backtick bodies are unescaped copies). */
    private readonly origin: readonly number[] | undefined,
    private readonly dialect: Dialect,
  ) {}

  private peek(offset = 0): string {
    return this.s[this.i + offset] ?? '';
  }

  private at(i: number): number {
    return this.origin ? (this.origin[i] ?? -1) : this.base + i;
  }

  /** A list of commands, up to the end of the text or (for `$(`, `<(`) the closing `)`. */
  script(end: 'eof' | ')'): Mark[] {
    const out: Mark[] = [];
    const cases: CaseFrame[] = [];
    const heredocs: Heredoc[] = [];
    let depth = 0;
    let command: Word[] = [];
    let commandStart = true;
    let afterFor = false;
    const finish = () => {
      out.push(...commandRules(command));
      command = [];
    };
    const frame = () => cases.at(-1);

    while (this.i < this.s.length) {
      const c = this.peek();
      if (BLANK.has(c)) {
        this.i++;
        continue;
      }
      if (c === '\\' && this.peek(1) === '\n') {
        this.i += 2;
        continue;
      }
      if (c === '\n') {
        this.i++;
        finish();
        for (const heredoc of heredocs.splice(0)) out.push(...this.heredocBody(heredoc));
        if (frame()?.phase !== 'pattern') commandStart = true;
        continue;
      }
      if (c === '#') {
        const stop = this.s.indexOf('\n', this.i);
        const endOfComment = stop === -1 ? this.s.length : stop;
        for (let k = this.i; k < endOfComment; k++) if (this.s[k] === MARK) out.push({ at: this.at(k), finding: { placement: 'comment' } });
        this.i = endOfComment;
        continue;
      }
      if (c === ')') {
        this.i++;
        const top = frame();
        if (top?.phase === 'pattern') {
          top.phase = 'body';
          commandStart = true;
          continue;
        }
        finish();
        if (depth > 0) {
          depth--;
          // A function's body may follow: f() { … }.
          commandStart = true;
          continue;
        }
        if (end === ')') return out;
        continue;
      }
      if (c === '(') {
        if (frame()?.phase === 'pattern') {
          this.i++;
          continue;
        }
        if (this.dialect === 'bash' && this.peek(1) === '(' && (commandStart || afterFor)) {
          // bash's arithmetic command (( … )) and for (( …; …; … )).
          this.i += 2;
          out.push(...refuse(this.arithmetic('))'), 'arithmetic'));
          commandStart = false;
          afterFor = false;
          continue;
        }
        this.i++;
        finish();
        depth++;
        commandStart = true;
        continue;
      }
      if (c === ';' || c === '&' || c === '|') {
        const op = this.operator();
        const top = frame();
        if (top?.phase === 'pattern' && op === '|') continue;
        finish();
        if (top && (op === ';;' || op === ';&' || op === ';;&')) top.phase = 'pattern';
        commandStart = true;
        continue;
      }
      if (c === '<' || c === '>') {
        if (this.peek(1) === '(') {
          // bash process substitution <( … ) / >( … ): a command list.
          this.i += 2;
          command.push({ text: '', quoted: true, marks: this.script(')') });
          continue;
        }
        const op = this.operator();
        this.skipBlanks();
        const raw = this.i;
        const target = this.word();
        if (op === '<<' || op === '<<-') {
          // Any quoting in the delimiter makes the whole body literal.
          heredocs.push({ delimiter: target.text, quoted: /['"\\]/.test(this.s.slice(raw, this.i)), stripTabs: op === '<<-' });
          out.push(...refuse(target.marks, 'heredoc-delimiter'));
        } else {
          command.push({ ...target, role: 'redirect' });
        }
        continue;
      }

      const start = this.i;
      const word = this.word();
      if (this.i === start) {
        this.i++; // Cannot happen (every other character starts a word); never loop forever.
        continue;
      }
      // 2>file: the digits are the redirection's file descriptor, not a word.
      if (/^[0-9]+$/.test(word.text) && !word.quoted && (this.peek() === '<' || this.peek() === '>')) continue;
      const top = frame();
      const keyword = word.quoted ? '' : word.text;
      if (top?.phase === 'subject') {
        top.phase = 'in';
        out.push(...word.marks);
        continue;
      }
      if (top?.phase === 'in') {
        if (keyword === 'in') top.phase = 'pattern';
        out.push(...word.marks);
        continue;
      }
      if (top?.phase === 'pattern') {
        if (keyword === 'esac') {
          cases.pop();
          commandStart = false;
        } else {
          out.push(...word.marks);
        }
        continue;
      }
      if (commandStart) {
        if (keyword === 'case') {
          cases.push({ phase: 'subject' });
          commandStart = false;
          continue;
        }
        if (keyword === 'esac' && top) {
          finish();
          cases.pop();
          commandStart = false;
          continue;
        }
        if (keyword === '[[' && this.dialect === 'bash') {
          out.push(...this.doubleBracket());
          commandStart = false;
          continue;
        }
        if (OPENERS.has(keyword) || CLOSERS.has(keyword)) {
          finish();
          commandStart = OPENERS.has(keyword);
          continue;
        }
        if (keyword === 'for' || keyword === 'select') {
          afterFor = true;
          commandStart = false;
          continue;
        }
        if (keyword === 'function') {
          continue;
        }
        if (isAssignment(word)) {
          command.push({ ...word, role: 'assignment' });
          continue;
        }
        commandStart = false;
      }
      afterFor = false;
      command.push(word);
    }
    finish();
    return out;
  }

  private operator(): string {
    const three = this.s.slice(this.i, this.i + 3);
    for (const op of [';;&', '<<-', '<<<', '&>>']) {
      if (three === op) {
        this.i += 3;
        return op;
      }
    }
    const two = this.s.slice(this.i, this.i + 2);
    for (const op of [';;', ';&', '&&', '||', '|&', '<<', '>>', '<&', '>&', '<>', '>|', '&>']) {
      if (two === op) {
        this.i += 2;
        return op;
      }
    }
    return this.s[this.i++] ?? '';
  }

  private skipBlanks(): void {
    while (BLANK.has(this.peek())) this.i++;
  }

  /** One word: up to an unquoted blank, newline or operator character. */
  private word(): Word {
    let text = '';
    let quoted = false;
    let seenEquals = false;
    const marks: Mark[] = [];
    const add = (found: Mark[]) => {
      for (const mark of found) {
        mark.nameSide = !seenEquals;
        marks.push(mark);
      }
    };
    while (this.i < this.s.length) {
      // Most of a word is plain characters: taken in one go.
      PLAIN.lastIndex = this.i;
      const plain = PLAIN.exec(this.s);
      if (plain) {
        text += plain[0];
        this.i += plain[0].length;
        continue;
      }
      const c = this.peek();
      if (META.has(c)) break;
      if (c === '\\') {
        const next = this.peek(1);
        if (next === '\n') {
          this.i += 2;
          continue;
        }
        quoted = true;
        if (next === MARK) add([{ at: this.at(this.i + 1), finding: { refusal: 'escaped' } }]);
        else text += next;
        this.i += 2;
        continue;
      }
      if (c === "'") {
        quoted = true;
        this.i++;
        const close = this.s.indexOf("'", this.i);
        const stop = close === -1 ? this.s.length : close;
        add(this.marksIn(this.i, stop, 'single-quotes'));
        text += this.s.slice(this.i, stop);
        this.i = stop + 1;
        continue;
      }
      if (c === '"') {
        quoted = true;
        this.i++;
        const inner = this.doubleQuoted();
        add(inner.marks);
        text += inner.text;
        continue;
      }
      if (c === '$') {
        const before = this.i;
        add(this.dollar(false));
        const raw = this.s.slice(before, this.i);
        if (raw !== '$') quoted = true;
        text += raw;
        continue;
      }
      if (c === '`') {
        quoted = true;
        this.i++;
        add(this.backticks(false));
        continue;
      }
      if (c === MARK) {
        quoted = true;
        add([{ at: this.at(this.i), finding: { placement: 'word' } }]);
        this.i++;
        continue;
      }
      if (c === '=') seenEquals = true;
      text += c;
      this.i++;
    }
    return { text, quoted, marks };
  }

  /** After an opening `"`, through the closing one. */
  private doubleQuoted(): { text: string; marks: Mark[] } {
    const marks: Mark[] = [];
    let text = '';
    while (this.i < this.s.length) {
      const c = this.peek();
      if (c === '"') {
        this.i++;
        break;
      }
      if (c === '\\') {
        const next = this.peek(1);
        if (next === MARK) {
          marks.push({ at: this.at(this.i + 1), finding: { refusal: 'escaped' } });
          this.i += 2;
        } else if ('$`"\\\n'.includes(next) && next !== '') {
          text += next === '\n' ? '' : next;
          this.i += 2;
        } else {
          text += c;
          this.i++;
        }
        continue;
      }
      if (c === '$') {
        marks.push(...this.dollar(true));
        continue;
      }
      if (c === '`') {
        this.i++;
        marks.push(...this.backticks(true));
        continue;
      }
      if (c === MARK) marks.push({ at: this.at(this.i), finding: { placement: 'dquote' } });
      else text += c;
      this.i++;
    }
    return { text, marks };
  }

  /** At a `$`: whatever expansion it starts (or a literal `$`). */
  private dollar(inDoubleQuotes: boolean): Mark[] {
    const next = this.peek(1);
    if (next === '(' && this.peek(2) === '(') {
      this.i += 3;
      return refuse(this.arithmetic('))'), 'arithmetic');
    }
    if (next === '(') {
      this.i += 2;
      return this.script(')');
    }
    if (next === '{') {
      this.i += 2;
      return refuse(this.braced(), 'nested-expansion');
    }
    if (next === '[' && this.dialect === 'bash') {
      this.i += 2;
      return refuse(this.arithmetic(']'), 'arithmetic');
    }
    if (next === "'" && this.dialect === 'bash' && !inDoubleQuotes) {
      // bash's $'…': backslash escapes, no expansion.
      this.i += 2;
      const start = this.i;
      while (this.i < this.s.length && this.peek() !== "'") this.i += this.peek() === '\\' ? 2 : 1;
      const found = this.marksIn(start, Math.min(this.i, this.s.length), 'single-quotes');
      this.i++;
      return found;
    }
    if (next === MARK) {
      // `$` right before a reference: the expansion would start with `$"` or `$$`.
      this.i += 2;
      return [{ at: this.at(this.i - 1), finding: { refusal: 'escaped' } }];
    }
    if (NAME_START.test(next)) {
      this.i++;
      while (NAME_CHAR.test(this.peek())) this.i++;
      return [];
    }
    if (next !== '' && SPECIAL_PARAMETER.test(next)) {
      this.i += 2;
      return [];
    }
    this.i++;
    return [];
  }

  /** After `${`, through the matching `}`. */
  private braced(): Mark[] {
    const marks: Mark[] = [];
    while (this.i < this.s.length) {
      const c = this.peek();
      if (c === '}') {
        this.i++;
        return marks;
      }
      marks.push(...this.nested(c));
    }
    return marks;
  }

  /** After `$((`, `((` or `$[`, through the matching `))` or `]`. */
  private arithmetic(close: '))' | ']'): Mark[] {
    const marks: Mark[] = [];
    let depth = 0;
    const open = close === ']' ? '[' : '(';
    const shut = close === ']' ? ']' : ')';
    while (this.i < this.s.length) {
      const c = this.peek();
      if (c === open) {
        depth++;
        this.i++;
        continue;
      }
      if (c === shut) {
        if (depth > 0) {
          depth--;
          this.i++;
          continue;
        }
        this.i += close.length;
        return marks;
      }
      marks.push(...this.nested(c));
    }
    return marks;
  }

  /** One step inside ${…} or arithmetic: quotes and expansions nest; anything else is skipped. */
  private nested(c: string): Mark[] {
    if (c === '\\') {
      const found = this.peek(1) === MARK ? [{ at: this.at(this.i + 1), finding: { refusal: 'escaped' as const } }] : [];
      this.i += 2;
      return found;
    }
    if (c === "'") {
      this.i++;
      const close = this.s.indexOf("'", this.i);
      const stop = close === -1 ? this.s.length : close;
      const found = this.marksIn(this.i, stop, 'single-quotes');
      this.i = stop + 1;
      return found;
    }
    if (c === '"') {
      this.i++;
      return this.doubleQuoted().marks;
    }
    if (c === '$') return this.dollar(false);
    if (c === '`') {
      this.i++;
      return this.backticks(false);
    }
    const found = c === MARK ? [{ at: this.at(this.i), finding: { placement: 'word' as const } }] : [];
    this.i++;
    return found;
  }

  /**
   * After an opening backtick: the text up to the closing one, with the backslashes the
   * shell removes removed, read as a script of its own.
   */
  private backticks(inDoubleQuotes: boolean): Mark[] {
    let inner = '';
    const origin: number[] = [];
    const escapable = inDoubleQuotes ? '$`\\"' : '$`\\';
    while (this.i < this.s.length && this.peek() !== '`') {
      const c = this.peek();
      if (c === '\\' && escapable.includes(this.peek(1)) && this.peek(1) !== '') {
        inner += this.peek(1);
        origin.push(this.at(this.i + 1));
        this.i += 2;
        continue;
      }
      inner += c;
      origin.push(this.at(this.i));
      this.i++;
    }
    this.i++;
    return new Lexer(inner, 0, origin, this.dialect).script('eof');
  }

  /** bash's [[ … ]]: the arithmetic comparisons and -v evaluate their operands. */
  private doubleBracket(): Mark[] {
    const marks: Mark[] = [];
    let evaluates = false;
    while (this.i < this.s.length) {
      const c = this.peek();
      if (BLANK.has(c) || c === '\n') {
        this.i++;
        continue;
      }
      if ('<>()!&|'.includes(c)) {
        this.i++;
        continue;
      }
      const word = this.word();
      if (!word.quoted && word.text === ']]') break;
      if (!word.quoted && EVALUATING_TEST_OPERATORS.has(word.text)) evaluates = true;
      marks.push(...word.marks);
    }
    return evaluates ? refuse(marks, 'test-operator', '[[') : marks;
  }

  /** A here-document's body, which starts at the current position (after the newline). */
  private heredocBody(heredoc: Heredoc): Mark[] {
    const start = this.i;
    let bodyEnd = this.s.length;
    let next = this.s.length;
    for (let line = start; line < this.s.length;) {
      const stop = this.s.indexOf('\n', line);
      const lineEnd = stop === -1 ? this.s.length : stop;
      const text = this.s.slice(line, lineEnd);
      if ((heredoc.stripTabs ? text.replace(/^\t+/, '') : text) === heredoc.delimiter) {
        bodyEnd = line;
        next = stop === -1 ? this.s.length : stop + 1;
        break;
      }
      line = lineEnd + 1;
    }
    this.i = next;
    if (heredoc.quoted) return this.marksIn(start, bodyEnd, 'quoted-heredoc');
    const body = new Lexer(this.s.slice(start, bodyEnd), this.origin ? 0 : this.base + start, this.origin?.slice(start, bodyEnd), this.dialect);
    return body.heredocText();
  }

  /** An unquoted here-document body: like "…", except that `"` is an ordinary character. */
  private heredocText(): Mark[] {
    const marks: Mark[] = [];
    while (this.i < this.s.length) {
      const c = this.peek();
      if (c === '\\') {
        const next = this.peek(1);
        if (next === MARK) marks.push({ at: this.at(this.i + 1), finding: { refusal: 'escaped' } });
        this.i += '$`\\\n'.includes(next) || next === MARK ? 2 : 1;
        continue;
      }
      if (c === '$') {
        marks.push(...this.dollar(true));
        continue;
      }
      if (c === '`') {
        this.i++;
        marks.push(...this.backticks(false));
        continue;
      }
      if (c === MARK) marks.push({ at: this.at(this.i), finding: { placement: 'heredoc' } });
      this.i++;
    }
    return marks;
  }

  private marksIn(from: number, to: number, refusal: Refusal): Mark[] {
    const marks: Mark[] = [];
    for (let k = from; k < to; k++) if (this.s[k] === MARK) marks.push({ at: this.at(k), finding: { refusal } });
    return marks;
  }
}

const EVALUATING_TEST_OPERATORS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-v', '-R']);

/** The outermost reason wins: it is the one the author has to change. */
function refuse(marks: Mark[], refusal: Refusal, command?: string): Mark[] {
  const finding: Finding = command === undefined ? { refusal } : { refusal, command };
  for (const mark of marks) mark.finding = finding;
  return marks;
}

function isAssignment(word: Word): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(word.text) && !/^[^=]*["'\\$`]/.test(word.text);
}

/** Programs that only prefix another command. */
const PREFIXES = new Set(['command', 'builtin', 'exec', 'nohup', 'nice', 'time', 'sudo', 'env', 'xargs']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh', 'busybox']);
/** Builtins that evaluate their arguments as shell code. */
const EVALUATORS = new Set(['eval', 'let', 'trap', 'alias']);
/** Builtins whose operands name variables (bash evaluates a subscript in a name: a[$(cmd)]). */
const NAMING = new Set(['unset', 'read', 'mapfile', 'readarray', 'getopts']);
const DECLARING = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
/** Options of the naming builtins that take a value (a prompt, a delimiter), which is not a name. */
const VALUE_OPTIONS = new Set(['-p', '-d', '-t', '-u', '-n', '-N', '-i', '-C', '-c', '-O', '-s']);

/**
 * Rules about a simple command's name: the builtins that turn an argument into code or a
 * variable name. A best effort on top of the grammar: a program that runs its argument as
 * code (ssh host "$x", kubectl exec -- sh -c "$x") cannot be recognised.
 */
function commandRules(words: Word[]): Mark[] {
  // Most commands hold no reference: nothing to decide.
  if (words.every((word) => word.marks.length === 0)) return [];
  let index = 0;
  while (index < words.length && words[index]?.role !== undefined) index++;
  // command eval …, sudo -u x sh -c …, env A=b bash -c …: the command is the one prefixed.
  while (PREFIXES.has(words[index]?.text ?? '')) {
    index++;
    while (index < words.length && (words[index]?.role !== undefined || /^-|^[A-Za-z_][A-Za-z0-9_]*=/.test(words[index]?.text ?? ''))) index++;
  }
  const name = (words[index]?.text ?? '').replace(/^.*\//, '');
  const args = words.slice(index + 1).filter((word) => word.role !== 'redirect');
  const refuseIn = (chosen: readonly Word[], refusal: Refusal) => {
    for (const word of chosen) refuse(word.marks, refusal, name);
    return words.flatMap((word) => word.marks);
  };
  const after = (options: readonly string[]) => args.filter((_, i) => options.includes(args[i - 1]?.text ?? ''));
  if (EVALUATORS.has(name)) return refuseIn(args, 'evaluated');
  if (DECLARING.has(name)) {
    for (const word of args) for (const mark of word.marks) if (mark.nameSide) mark.finding = { refusal: 'variable-name', command: name };
    return words.flatMap((word) => word.marks);
  }
  if (NAMING.has(name))
    return refuseIn(
      args.filter((word, i) => !word.text.startsWith('-') && !VALUE_OPTIONS.has(args[i - 1]?.text ?? '')),
      'variable-name',
    );
  if (name === 'printf') return refuseIn(after(['-v']), 'variable-name');
  if (name === 'test' || name === '[') return refuseIn(after(['-v', '-R']), 'test-operator');
  if (SHELLS.has(name))
    return refuseIn(
      args.filter((_, i) => /^-[A-Za-z]*c[A-Za-z]*$/.test(args[i - 1]?.text ?? '')),
      'evaluated',
    );
  return words.flatMap((word) => word.marks);
}
