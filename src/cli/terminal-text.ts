/**
 * Text shown on a terminal is inert: a control character (other than newline and tab) in a
 * step's output, a title, a reason or a journal field is shown as an escape (`\u001b`,
 * `\r`), so a command cannot move the cursor, erase a line and print a forged
 * "✔ s0 succeeded" over it. The escapes are those of JSON strings, so `--json` lines
 * (where JSON.stringify leaves C1 characters and DEL raw) stay valid and mean the same.
 * Logs in .cutover/logs keep the raw bytes.
 *
 * Kept: the colour codes that paint() (output.ts) writes, which only colour. Anything
 * that moves the cursor or erases is cutover's own only through Output's screen writes.
 */

// eslint-disable-next-line no-control-regex -- control characters are exactly what is matched here
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- paint()'s SGR codes
const STYLE = /^\u001b\[(?:0|1|2|22|31|32|33|36|39)m/;
const SHORT: Record<string, string> = { '\b': '\\b', '\f': '\\f', '\r': '\\r' };

export function neutralise(text: string): string {
  if (!CONTROL.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (!CONTROL.test(char)) {
      out += char;
      continue;
    }
    const style = char === '\u001b' ? STYLE.exec(text.slice(i, i + 5)) : null;
    if (style) {
      out += style[0];
      i += style[0].length - 1;
      continue;
    }
    out += SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
  return out;
}
