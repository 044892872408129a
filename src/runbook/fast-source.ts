/**
 * The fast path of the loader. `yaml` keeps every node with its position, which is what
 * diagnostics need, but it is slow on big files (a 1,000-step runbook takes ~300 ms to
 * compose). Most loads are of valid runbooks and need no position except where each step
 * starts, so this path parses with js-yaml's event parser (about 5x faster) and returns
 * only the data and the step positions.
 *
 * It is deliberately narrow: no tabs, no anchors or aliases, no tags, one document, a
 * mapping at the root, nesting within the slow path's limit. Anything else returns
 * undefined and the loader takes the positioned `yaml` path, which stays the authority on
 * errors (load.ts also redoes a load through it whenever the fast data yields any
 * diagnostic). A property test checks both paths give equal data whenever this one answers.
 */
import { CORE_SCHEMA, EVENT_ID, SCALAR_STYLE, constructFromEvents, getScalarValue, parseEvents } from 'js-yaml';
import type { Event } from 'js-yaml';
import type { SourcePosition } from './types.js';

export interface FastSource {
  data: Record<string, unknown>;
  /** Where each item of the root `steps:` sequence starts (1-based line and column). */
  stepPositions: SourcePosition[];
}

const LONE_CR = /\r(?!\n)/;

/** One below the slow path's limit (source.ts MAX_NESTING), so the limit is only ever judged there. */
const MAX_DEPTH = 63;

export function parseFast(body: string): FastSource | undefined {
  // The parsers disagree on tabs next to indentation, and on a carriage return that is not
  // part of a CRLF (js-yaml reads it as a line break, yaml as an error, e.g. at the end of
  // the file); such runbooks take the yaml path.
  if (body.includes('\t') || LONE_CR.test(body)) return undefined;
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(body, { maxDepth: MAX_DEPTH });
    docs = constructFromEvents(events, { source: body, schema: CORE_SCHEMA, maxAliases: 0, json: false });
  } catch {
    return undefined;
  }
  const [data] = docs;
  if (docs.length !== 1 || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  // Tags and anchors are rare in runbooks, and where the two parsers could disagree.
  if (events.some((e) => 'tagStart' in e && (e.tagStart !== -1 || e.anchorStart !== -1))) return undefined;
  const offsets = stepOffsets(body, events);
  if (!offsets) return undefined;
  return { data: data as Record<string, unknown>, stepPositions: toPositions(body, offsets) };
}

/**
 * Start offsets of the mappings directly inside the root mapping's `steps:` sequence; or
 * undefined when a mapping has a key the two parsers would turn into different strings
 * (a collection, or a plain scalar that is not a string, like `~` or `1.0`), which no
 * runbook has but generated input does.
 */
function stepOffsets(body: string, events: Event[]): number[] | undefined {
  const offsets: number[] = [];
  /** Open collections; `items` counts the events directly inside (keys and values alternate in a mapping). */
  const stack: { mapping: boolean; items: number; steps: boolean }[] = [];
  let nextIsSteps = false;
  for (const event of events) {
    if (event.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT) {
      stack.push({ mapping: false, items: 0, steps: false });
      continue;
    }
    const parent = stack[stack.length - 1];
    let isSteps = false;
    if (parent) {
      if (parent.mapping && parent.items % 2 === 0) {
        if (event.type !== EVENT_ID.SCALAR) return undefined;
        const key = getScalarValue(body, event);
        if (event.style === SCALAR_STYLE.PLAIN && NON_STRING_PLAIN.test(key)) return undefined;
        nextIsSteps = stack.length === 2 && key === 'steps';
      } else if (parent.mapping) {
        isSteps = nextIsSteps;
        nextIsSteps = false;
      }
      if (parent.steps && event.type === EVENT_ID.MAPPING) offsets.push(event.start);
      if (parent.steps && event.type !== EVENT_ID.MAPPING) return undefined;
      parent.items++;
    }
    if (event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.MAPPING) {
      stack.push({ mapping: event.type === EVENT_ID.MAPPING, items: 0, steps: isSteps && event.type === EVENT_ID.SEQUENCE });
    }
  }
  return offsets;
}

/** Plain scalars that could resolve to null, a boolean or a number: as keys, left to the yaml path. */
const NON_STRING_PLAIN = /^(?:$|[-+.~0-9]|(?:null|true|false)$)/i;

function toPositions(body: string, offsets: number[]): SourcePosition[] {
  const positions: SourcePosition[] = [];
  let line = 1;
  let lineStart = 0;
  let scanned = 0;
  for (const offset of offsets) {
    for (let i = body.indexOf('\n', scanned); i !== -1 && i < offset; i = body.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    scanned = Math.max(scanned, lineStart);
    positions.push({ line, col: offset - lineStart + 1 });
  }
  return positions;
}
