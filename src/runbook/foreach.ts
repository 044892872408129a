/** Replaces the foreach item's placeholder, leaving every other reference alone. */
export function expandItem(text: string, name: string, value: string): string {
  return text.split(`\${${name}}`).join(value);
}
