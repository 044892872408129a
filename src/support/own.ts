/**
 * A lookup by a name that came from a runbook or a flag: own properties only, so that
 * `${env.constructor}` or `${env.__proto__}` finds nothing instead of Object.prototype's.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
