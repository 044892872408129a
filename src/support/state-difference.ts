/**
 * Where two JSON values differ (`state.recordSets[1].TTL: 60 -> 300`), or undefined when equal.
 * A general deep diff; the rehearsal compares a traffic capture with the live state by it.
 * Keys are compared sorted, and arrays as unordered collections: AWS may list records and
 * targets in another order without anything having changed (order that matters, such as
 * ELBv2 action order, is a field of its own).
 */
export function stateDifference(a: unknown, b: unknown, path = 'state'): string | undefined {
  const show = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value));
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = [...a].sort(byCanonical);
    const right = [...b].sort(byCanonical);
    if (left.length !== right.length) return `${path}: ${left.length} entries -> ${right.length}`;
    for (const [index, item] of left.entries()) {
      const found = stateDifference(item, right[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const found = stateDifference(a[key], b[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  return canonical(a) === canonical(b) ? undefined : `${path}: ${show(a)} -> ${show(b)}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(',')}]`;
  if (isObject(value)) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function byCanonical(a: unknown, b: unknown): number {
  const [x, y] = [canonical(a), canonical(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
