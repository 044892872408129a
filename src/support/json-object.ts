/** A JSON object's fields, or undefined for anything else (invalid JSON, an array, a scalar): for records another process wrote. */
export function parseJsonObject(raw: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
