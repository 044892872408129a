/** Variable values: runbook defaults, then --vars-file, then --var (last wins). */
import type { RawVarValue } from './schema.js';

export type VarValue = string | string[];

export interface VarDeclaration {
  name: string;
  value?: VarValue;
  secret: boolean;
  /** Differs between environments (staging vs production); see the rehearsal gate. */
  env: boolean;
}

export function declarationOf(name: string, raw: RawVarValue | undefined): VarDeclaration {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    return { name, value: raw.default === undefined ? undefined : toVarValue(raw.default), secret: raw.secret === true, env: raw.env === true };
  }
  return { name, value: raw === undefined ? undefined : toVarValue(raw), secret: false, env: false };
}

export function toVarValue(raw: unknown): VarValue {
  if (Array.isArray(raw)) return raw.map((item) => String(item));
  return String(raw);
}

/** Splits `k=v` from --var; the value may itself contain `=`. */
export function parseVarFlag(flag: string): { name: string; value: string } | undefined {
  const index = flag.indexOf('=');
  if (index <= 0) return undefined;
  return { name: flag.slice(0, index), value: flag.slice(index + 1) };
}

export interface VarOverrides {
  /** From --vars-file, in file order. */
  file?: { path: string; values: Record<string, unknown> };
  /** From --var k=v, in flag order. */
  flags: string[];
}
