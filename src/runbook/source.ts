/**
 * YAML text → plain data, keeping the document so that every diagnostic can point at
 * the line and column of the key or value it is about.
 */
import { LineCounter, isMap, isNode, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

export type PathSegment = string | number;

export interface YamlSource {
  file: string;
  /** The text the offsets refer to (without a BOM). */
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The document as plain data (maps become objects with a null prototype). */
  data: unknown;
}

const MAX_ALIAS_COUNT = 100;
const ALLOWED_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

export function parseYamlSource(file: string, text: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const at = (offset: number, rule: string, message: string): Diagnostic => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, severity: 'error', rule, message };
  };
  // A leading BOM is legal in a file but not part of the YAML (editors do not count it as a column).
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const docs = parseAllDocuments(body, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, customTags: [] });
  if (!Array.isArray(docs)) {
    // parseAllDocuments returns an empty-stream marker for empty input.
    return { diagnostics: [at(0, 'empty', 'the file is empty; a runbook starts with "cutover: 1"')] };
  }
  const diagnostics: Diagnostic[] = [];
  const [first, ...rest] = docs;
  for (const extra of rest) {
    diagnostics.push(at((extra.range[0]), 'multiple-documents', 'the file holds more than one YAML document ("---"); keep one runbook per file'));
  }
  if (!first) return { diagnostics: [at(0, 'empty', 'the file is empty; a runbook starts with "cutover: 1"')] };
  for (const error of first.errors) {
    diagnostics.push(at((error.pos[0]), 'yaml-syntax', `YAML syntax error: ${firstLine(error.message)}`));
  }
  if (diagnostics.length > 0) return { diagnostics };

  // Tags other than the core schema's would let a file ask for arbitrary types.
  let tagProblem: Diagnostic | undefined;
  visitNodes(first.contents, (node) => {
    if (!tagProblem && node.tag && !ALLOWED_TAGS.has(node.tag)) {
      tagProblem = at((node.range?.[0] ?? 0), 'yaml-tag', `custom YAML tag "${node.tag}" is not allowed; runbooks are plain data`);
    }
  });
  if (tagProblem) return { diagnostics: [tagProblem] };

  if (first.contents === null || (isScalar(first.contents) && first.contents.value === null)) {
    return { diagnostics: [at(0, 'empty', 'the file is empty; a runbook starts with "cutover: 1"')] };
  }
  if (!isMap(first.contents)) {
    const offset = first.contents.range?.[0] ?? 0;
    return { diagnostics: [at((offset), 'not-a-mapping', 'a runbook is a YAML mapping (key: value lines starting with "cutover: 1"), not a list or a single value')] };
  }
  let data: unknown;
  try {
    data = first.toJS({ maxAliasCount: MAX_ALIAS_COUNT, mapAsMap: false });
  } catch (error) {
    const message = error instanceof Error ? firstLine(error.message) : String(error);
    return { diagnostics: [at(0, 'yaml-alias', `the YAML could not be expanded: ${message} (aliases are limited to keep runbooks small)`)] };
  }
  const source: YamlSource = { file, text: body, doc: first, lineCounter, data };
  return { source, diagnostics: [] };
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

function visitNodes(node: unknown, visit: (node: Node) => void, depth = 0): void {
  if (depth > 10_000 || !isNode(node)) return;
  visit(node);
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      if (isPair(item)) {
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
    if (isMap(node)) {
      pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment)) as Pair | undefined;
      node = pair?.value;
    } else if (isSeq(node) && typeof segment === 'number') {
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
  const offset = isNode(node) && node.range ? node.range[0] : 0;
  return source.lineCounter.linePos(offset);
}

/** Position of a scalar value plus an offset into its text, when the text maps 1:1 to the source. */
export function positionInScalar(source: YamlSource, path: readonly PathSegment[], index: number): { line: number; col: number } {
  const base = positionOf(source, path);
  const node = source.doc.getIn(path as PathSegment[], true);
  if (isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string' && !node.value.includes('\n')) {
    return { line: base.line, col: base.col + index };
  }
  if (isScalar(node) && (node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') && typeof node.value === 'string' && node.range) {
    // Exact only when nothing before the index was escaped or folded.
    const start = node.range[0] + 1;
    const prefix = node.value.slice(0, index);
    if (source.text.slice(start, start + index) === prefix && !prefix.includes('\n')) {
      return { line: base.line, col: base.col + 1 + index };
    }
  }
  return base;
}
