/**
 * foreach items, shared by the validator and the resolver. An item is a scalar (`${app}`)
 * or a mapping (`{pct: 5, bake: 30m}`, read as `${step.pct}`, `${step.bake}`); its label is
 * what it adds to step ids: the scalar itself, or a group's `label:` template.
 */
import type { VarValue } from './variables.js';

export interface ForeachItem {
  name: string;
  /** The scalar item, or the label of a mapping item (its JSON when it has none). */
  value: string;
  /** A mapping item's fields, as text. */
  fields?: Record<string, string>;
}

export type RawForeachValues = readonly unknown[] | string;

/** Replaces the foreach item's placeholders (`${name}`, `${name.field}`), leaving every other reference alone. */
export function expandItem(text: string, name: string, value: string, fields?: Record<string, string>): string {
  let out = text.split(`\${${name}}`).join(value);
  if (fields && out.includes(`\${${name}.`)) {
    for (const [field, fieldValue] of Object.entries(fields)) out = out.split(`\${${name}.${field}}`).join(fieldValue);
  }
  return out;
}

export function expandWith(text: string, item: ForeachItem): string {
  return expandItem(text, item.name, item.value, item.fields);
}

/** The id of a step of a group, for one item: `<group>-<item label>-<step>`. */
export function groupStepId(group: string, label: string, step: string): string {
  return `${group}-${label}-${step}`;
}

export function isMappingItem(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A mapping item's fields as text (numbers and booleans as YAML writes them). */
export function fieldsOf(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, String(field)]));
}

/**
 * The items of a `foreach: {name: values}`, values being a literal list (scalars or
 * mappings) or "${listVar}"; undefined where they are not known (the validator reports why).
 */
export function foreachItemsOf(
  name: string,
  values: RawForeachValues,
  listVar: (name: string) => VarValue | undefined,
  label?: string,
): ForeachItem[] | undefined {
  if (Array.isArray(values)) {
    return values.map((value): ForeachItem => {
      if (!isMappingItem(value)) {
        const item = { name, value: String(value) };
        return label === undefined ? item : { ...item, value: expandWith(label, item) };
      }
      const fields = fieldsOf(value);
      // Without a label (a step's own foreach), the value only describes the item: its id template names the fields.
      return { name, value: label === undefined ? JSON.stringify(value) : expandItem(label, name, '', fields), fields };
    });
  }
  if (typeof values !== 'string') return undefined;
  const list = listVar(values.slice(2, -1));
  if (!Array.isArray(list)) return undefined;
  return list.map((value) => {
    const item = { name, value };
    return label === undefined ? item : { ...item, value: expandWith(label, item) };
  });
}
