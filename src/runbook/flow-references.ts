/**
 * `{ zone: ${zone} }`: inside a flow mapping or list, YAML reads the `{` of an unquoted
 * `${zone}` as the start of a mapping, and its parser then reports dozens of errors that
 * never mention the cause. When the YAML does not parse, these places are reported
 * instead, each once, with the fix (quotes). Text only: the YAML could not be parsed.
 */

export interface UnquotedReference {
  /** 1-based. */
  line: number;
  col: number;
  text: string;
}

export function unquotedFlowReferences(text: string): UnquotedReference[] {
  const found: UnquotedReference[] = [];
  let depth = 0;
  text.split('\n').forEach((line, index) => {
    let quote: string | undefined;
    // What came last before here, spaces aside: a value starts after ":", ",", "{" or "[".
    let previous = '';
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!;
      if (quote) {
        if (char === quote) quote = undefined;
        continue;
      }
      if (char === '"' || char === "'") {
        quote = char;
        previous = char;
        continue;
      }
      if (char === '#' && (i === 0 || /\s/.test(line[i - 1]!))) break;
      if (char === '$' && line[i + 1] === '{') {
        const end = line.indexOf('}', i);
        const reference = end === -1 ? line.slice(i) : line.slice(i, end + 1);
        if (depth > 0 && [':', ',', '{', '['].includes(previous)) found.push({ line: index + 1, col: i + 1, text: reference });
        previous = '$';
        i = end === -1 ? line.length : end;
        continue;
      }
      if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') depth = Math.max(0, depth - 1);
      if (!/\s/.test(char)) previous = char;
    }
    // A line that starts a new block key ends any flow collection the parser gave up on.
    if (depth > 0 && /^\s*[A-Za-z_-][\w-]*:(\s|$)/.test(line) && !/[{[]/.test(line)) depth = 0;
  });
  return found;
}

export function unquotedReferenceMessage(reference: string): string {
  return `${reference} starts a value inside { … } or [ … ] without quotes, so YAML reads its "{" as the start of a mapping (the errors that would follow all come from this); quote the value: "${reference}"`;
}
