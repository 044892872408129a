/**
 * YAML text → plain data, keeping the document so that every diagnostic can point at
 * the line and column of the key or value it is about.
 */
import { unquotedFlowReferences, unquotedReferenceMessage } from './flow-references.js';
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { CST, Document, LineCounter, Node, Pair } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

/**
 * `yaml` is loaded on first use, synchronously: valid runbooks take the fast path
 * (fast-source.ts) and never need it, and compiling it costs a big runbook's validate
 * tens of milliseconds.
 */
let loadedYaml: typeof YamlModule | undefined;
function Y(): typeof YamlModule {
  loadedYaml ??= createRequire(import.meta.url)('yaml') as typeof YamlModule;
  return loadedYaml;
}

export type PathSegment = string | number;

export interface YamlSource {
  file: string;
  /** The text the offsets refer to (without a BOM). */
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The document as plain data (a `__proto__` key is an own property, never the prototype). */
  data: unknown;
}

const MAX_ALIAS_COUNT = 100;
/** Far more than any runbook needs; deep enough nesting overflows the stack of yaml's composer. */
const MAX_NESTING = 64;
const ALLOWED_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
]);

export function parseYamlSource(file: string, text: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const lineCounter = new (Y().LineCounter)();
  const at = (offset: number, rule: string, message: string): Diagnostic => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, severity: 'error', rule, message };
  };
  const body = withoutBom(text);
  // parseAllDocuments in two steps, to look at the nesting before composing.
  const tokens = [...new (Y().Parser)(lineCounter.addNewLine).parse(body)];
  const tooDeep = tooDeepAt(tokens);
  if (tooDeep !== undefined)
    return { diagnostics: [at(tooDeep, 'yaml-depth', `the YAML nests more than ${MAX_NESTING} levels deep; a runbook never needs that many`)] };
  // logLevel 'error': yaml would otherwise print process warnings (a collection used as a
  // key) on stderr, where they look like a crash; the schema reports such keys anyway.
  const docs = [...new (Y().Composer)({ prettyErrors: false, uniqueKeys: true, strict: true, customTags: [], logLevel: 'error' }).compose(tokens)];
  const diagnostics: Diagnostic[] = [];
  const [first, ...rest] = docs;
  for (const extra of rest) {
    diagnostics.push(at(extra.range[0], 'multiple-documents', 'the file holds more than one YAML document ("---"); keep one runbook per file'));
  }
  if (!first) return { diagnostics: [at(0, 'empty', 'the file is empty; a runbook starts with "cutover: 1"')] };
  if (first.errors.length > 0) {
    // One message per unquoted `${…}` in a flow collection, instead of the cascade it causes.
    const unquoted = unquotedFlowReferences(body);
    if (unquoted.length > 0)
      return {
        diagnostics: unquoted.map((u) => ({
          file,
          line: u.line,
          col: u.col,
          severity: 'error',
          rule: 'unquoted-reference',
          message: unquotedReferenceMessage(u.text),
        })),
      };
  }
  for (const error of first.errors) {
    const opening = error.code === 'MISSING_CHAR' && error.message.includes('quote') ? openingQuote(first, error.pos[0]) : undefined;
    diagnostics.push(
      opening === undefined
        ? at(error.pos[0], 'yaml-syntax', `YAML syntax error: ${firstLine(error.message)}`)
        : at(opening, 'yaml-syntax', `YAML syntax error: ${firstLine(error.message)} (the string opened here runs to the end of the file)`),
    );
  }
  if (diagnostics.length > 0) return { diagnostics };

  // Tags other than the core schema's would let a file ask for arbitrary types.
  let tagProblem: Diagnostic | undefined;
  visitNodes(first.contents, (node) => {
    if (!tagProblem && node.tag && !ALLOWED_TAGS.has(node.tag)) {
      // Shown as written: `!!x` is the YAML shorthand for tag:yaml.org,2002:x.
      const written = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      tagProblem = at(node.range?.[0] ?? 0, 'yaml-tag', `custom YAML tag "${written}" is not allowed; runbooks are plain data`);
    }
  });
  if (tagProblem) return { diagnostics: [tagProblem] };

  if (first.contents === null || (Y().isScalar(first.contents) && first.contents.value === null)) {
    return { diagnostics: [at(0, 'empty', 'the file is empty; a runbook starts with "cutover: 1"')] };
  }
  if (!Y().isMap(first.contents)) {
    const offset = first.contents.range?.[0] ?? 0;
    return {
      diagnostics: [at(offset, 'not-a-mapping', 'a runbook is a YAML mapping (key: value lines starting with "cutover: 1"), not a list or a single value')],
    };
  }
  let data: unknown;
  try {
    // yaml counts the anchored node as one use of itself: +1 makes "at most 100 aliases" true.
    data = first.toJS({ maxAliasCount: MAX_ALIAS_COUNT + 1, mapAsMap: false });
  } catch (error) {
    const message = error instanceof Error ? firstLine(error.message) : String(error);
    return { diagnostics: [at(0, 'yaml-alias', `the YAML could not be expanded: ${message} (aliases are limited to keep runbooks small)`)] };
  }
  const source: YamlSource = { file, text: body, doc: first, lineCounter, data };
  return { source, diagnostics: [] };
}

/** A leading BOM is legal in a file but not part of the YAML (editors do not count it as a column). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The fast parser accepted a file that the positioned parser rejects: the loader then
 * forgets the fast result and reports the positioned parser's errors (load.ts).
 */
export class FastPathDisagreement extends Error {
  constructor() {
    super('internal error: the fast YAML parser accepted a file the positioned parser rejects');
    this.name = 'FastPathDisagreement';
  }
}

/**
 * A source for data that came from the fast parser: the positioned document is only built
 * (by the slow path) if something asks where a node is.
 */
export function lazilyPositionedSource(file: string, text: string, data: unknown): YamlSource {
  let parsed: YamlSource | undefined;
  const positioned = (): YamlSource => {
    parsed ??= parseYamlSource(file, text).source;
    if (!parsed) throw new FastPathDisagreement();
    return parsed;
  };
  return {
    file,
    text: withoutBom(text),
    data,
    get doc() {
      return positioned().doc;
    },
    get lineCounter() {
      return positioned().lineCounter;
    },
  };
}

/**
 * The offset where collections first nest deeper than MAX_NESTING, if they do. yaml's CST
 * parser keeps its own stack, so this is safe on any input; composing a document recurses
 * per level, and thousands of levels crash the process (a V8 fatal error, not an exception).
 */
function tooDeepAt(tokens: readonly CST.Token[]): number | undefined {
  const pending: [CST.Token | null | undefined, number][] = tokens.map((token) => [token, 0]);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [token, depth] = next;
    if (token?.type === 'document') pending.push([token.value, depth]);
    if (token?.type !== 'block-map' && token?.type !== 'block-seq' && token?.type !== 'flow-collection') continue;
    if (depth >= MAX_NESTING) return token.offset;
    for (const item of token.items) pending.push([item.key, depth + 1], [item.value, depth + 1]);
  }
  return undefined;
}

/** yaml reports an unclosed quote where the file ends; where it was opened is what helps. */
function openingQuote(doc: Document.Parsed, errorOffset: number): number | undefined {
  let start: number | undefined;
  visitNodes(doc.contents, (node) => {
    const quoted = Y().isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    if (quoted && node.range && node.range[0] < errorOffset && node.range[1] >= errorOffset) start ??= node.range[0];
  });
  return start;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

function visitNodes(node: unknown, visit: (node: Node) => void, depth = 0): void {
  if (depth > 10_000 || !Y().isNode(node)) return;
  visit(node);
  if (Y().isMap(node) || Y().isSeq(node)) {
    for (const item of node.items) {
      if (Y().isPair(item)) {
        visitNodes(item.key, visit, depth + 1);
        visitNodes(item.value, visit, depth + 1);
      } else {
        visitNodes(item, visit, depth + 1);
      }
    }
  }
}

/** Line and column (1-based) of the value at path, or of its key with `part: 'key'`. */
export function positionOf(source: YamlSource, path: readonly PathSegment[], part: 'key' | 'value' = 'value'): { line: number; col: number } {
  let node: unknown = source.doc.contents;
  let pair: Pair | undefined;
  let lastFound: unknown = node;
  for (const segment of path) {
    pair = undefined;
    if (Y().isMap(node)) {
      pair = node.items.find((item) => Y().isScalar(item.key) && String(item.key.value) === String(segment)) as Pair | undefined;
      node = pair?.value;
    } else if (Y().isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      node = undefined;
    }
    if (node === undefined || node === null) {
      // Missing (or null) value: point at its key if there is one, else the closest parent.
      const target = pair?.key ?? lastFound;
      return offsetPosition(source, target);
    }
    lastFound = node;
  }
  const target = part === 'key' && pair ? pair.key : node;
  return offsetPosition(source, target);
}

function offsetPosition(source: YamlSource, node: unknown): { line: number; col: number } {
  const offset = Y().isNode(node) && node.range ? node.range[0] : 0;
  return source.lineCounter.linePos(offset);
}

/**
 * Position of `length` characters at `index` in a string scalar's value. The text is looked
 * up in the scalar's source (the same occurrence), so folded plain scalars, block scalars
 * and quoted strings with escapes point at the right line and column; else the scalar's start.
 */
export function positionInScalar(source: YamlSource, path: readonly PathSegment[], index: number, length: number): { line: number; col: number } {
  const base = positionOf(source, path);
  const node = source.doc.getIn(path as PathSegment[], true);
  if (!Y().isScalar(node) || typeof node.value !== 'string' || !node.range || length <= 0) return base;
  const needle = node.value.slice(index, index + length);
  let nth = 0;
  for (let i = node.value.indexOf(needle); i !== -1 && i < index; i = node.value.indexOf(needle, i + 1)) nth++;
  const raw = source.text.slice(node.range[0], node.range[1]);
  let at = -1;
  for (let k = 0; k <= nth; k++) {
    at = raw.indexOf(needle, at + 1);
    if (at === -1) return base;
  }
  return source.lineCounter.linePos(node.range[0] + at);
}
