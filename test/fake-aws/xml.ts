/**
 * Just enough XML for the fake AWS endpoint: a parser for the small, namespace-light request
 * bodies the SDK sends (Route 53 ChangeResourceRecordSets), a builder for responses, and
 * converters between XML trees and the plain objects the SDK models use.
 *
 * The parser handles the prolog, comments, CDATA, attributes, self-closing tags, the five
 * named entities and numeric character references. It has no DTD support (it rejects one).
 */

export interface XmlElement {
  /** Local name: a `prefix:` is dropped. */
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The concatenated text directly inside the element (entities decoded, not trimmed). */
  text: string;
}

export class XmlParseError extends Error {
  override name = 'XmlParseError';
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    const named = NAMED_ENTITIES[body];
    if (named === undefined) throw new XmlParseError(`unknown entity ${whole}`);
    return named;
  });
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon >= 0 ? qualified.slice(colon + 1) : qualified;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTRIBUTE = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/;

/** Parses one document; returns its root element. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  function fail(what: string): never {
    throw new XmlParseError(`${what} at offset ${pos}`);
  }

  const appendText = (text: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += text;
    else if (text.trim() !== '') fail('text outside the root element');
  };

  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    if (lt < 0) {
      appendText(decodeEntities(source.slice(pos)));
      break;
    }
    if (lt > pos) appendText(decodeEntities(source.slice(pos, lt)));
    pos = lt;
    if (source.startsWith('<?', pos)) {
      const end = source.indexOf('?>', pos);
      if (end < 0) fail('unterminated processing instruction');
      pos = end + 2;
    } else if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos);
      if (end < 0) fail('unterminated comment');
      pos = end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos);
      if (end < 0) fail('unterminated CDATA section');
      appendText(source.slice(pos + 9, end));
      pos = end + 3;
    } else if (source.startsWith('<!', pos)) {
      fail('DTDs are not supported');
    } else if (source.startsWith('</', pos)) {
      const match = NAME.exec(source.slice(pos + 2));
      if (!match) fail('bad end tag');
      const name = localName(match[0]);
      const close = source.indexOf('>', pos);
      if (close < 0 || source.slice(pos + 2 + match[0].length, close).trim() !== '') fail('bad end tag');
      const top = stack.pop();
      if (!top || top.name !== name) fail(`end tag </${name}> does not match <${top?.name ?? '(none)'}>`);
      pos = close + 1;
    } else {
      const match = NAME.exec(source.slice(pos + 1));
      if (!match) fail('bad start tag');
      const element: XmlElement = { name: localName(match[0]), attributes: {}, children: [], text: '' };
      pos += 1 + match[0].length;
      for (;;) {
        const attribute = ATTRIBUTE.exec(source.slice(pos));
        if (!attribute) break;
        element.attributes[attribute[1]!] = decodeEntities(attribute[2] ?? attribute[3] ?? '');
        pos += attribute[0].length;
      }
      const rest = /^\s*(\/?)>/.exec(source.slice(pos));
      if (!rest) fail(`bad start tag <${element.name}>`);
      pos += rest[0].length;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail('more than one root element');
      else root = element;
      if (rest[1] !== '/') stack.push(element);
    }
  }
  if (stack.length > 0) fail(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) fail('no root element');
  return root;
}

/** Which element names hold lists (and what their items are called), maps, numbers and booleans. */
export interface XmlShapes {
  /** List element name -> item element name (`ResourceRecords` -> `ResourceRecord`); query-protocol lists use `member`. */
  lists: Record<string, string>;
  /** Map element names, written as `<entry><key/><value/></entry>`. */
  maps: ReadonlySet<string>;
  numbers: ReadonlySet<string>;
  booleans: ReadonlySet<string>;
}

/** Text -> number/boolean by the element's name; anything else stays a string. */
export function coerceScalar(name: string, text: string, shapes: XmlShapes): unknown {
  if (shapes.numbers.has(name)) {
    const value = Number(text);
    return text.trim() === '' || Number.isNaN(value) ? text : value;
  }
  if (shapes.booleans.has(name)) {
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  return text;
}

/** An element as the SDK would model it: structures as objects, lists as arrays, leaves coerced. */
export function elementToValue(element: XmlElement, shapes: XmlShapes): unknown {
  const itemName = shapes.lists[element.name];
  if (itemName !== undefined) {
    return element.children.filter((child) => child.name === itemName).map((child) => elementToValue(child, shapes));
  }
  if (shapes.maps.has(element.name)) {
    const map: Record<string, unknown> = {};
    for (const entry of element.children.filter((child) => child.name === 'entry')) {
      const key = entry.children.find((child) => child.name === 'key')?.text ?? '';
      const value = entry.children.find((child) => child.name === 'value');
      map[key] = value ? elementToValue(value, shapes) : '';
    }
    return map;
  }
  if (element.children.length === 0) return coerceScalar(element.name, element.text, shapes);
  const object: Record<string, unknown> = {};
  for (const child of element.children) object[child.name] = elementToValue(child, shapes);
  return object;
}

/** `<name>value</name>` for any plain value; undefined and null members are left out. */
export function valueToXml(name: string, value: unknown, shapes: XmlShapes): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const itemName = shapes.lists[name] ?? 'member';
    return `<${name}>${value.map((item) => valueToXml(itemName, item, shapes)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (shapes.maps.has(name)) {
      const body = entries.map(([k, v]) => `<entry><key>${escapeXml(k)}</key>${valueToXml('value', v, shapes)}</entry>`).join('');
      return `<${name}>${body}</${name}>`;
    }
    return `<${name}>${entries.map(([k, v]) => valueToXml(k, v, shapes)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A whole response document: `<Root xmlns="...">members</Root>`. */
export function documentXml(root: string, namespace: string, members: Record<string, unknown>, shapes: XmlShapes): string {
  const body = Object.entries(members)
    .map(([k, v]) => valueToXml(k, v, shapes))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${body}</${root}>`;
}
