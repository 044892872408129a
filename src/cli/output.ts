/**
 * Where the CLI writes, and whether it may colour. Only src/cli prints, and everything it
 * prints goes through here: the one place where control characters are made inert
 * (terminal-text.ts).
 */
import { neutralise } from './terminal-text.js';

export interface WriteOptions {
  /**
   * The text holds cutover's own screen controls (status --watch redrawing in place), and
   * its caller has neutralised every piece of content in it: written as it is.
   */
  screen?: boolean;
}

export interface Output {
  out(text: string, options?: WriteOptions): void;
  err(text: string, options?: WriteOptions): void;
  color: boolean;
  /** The terminal's width when stdout is one (tables drop columns to fit it); undefined otherwise. */
  columns?: number;
}

export function createOutput(options: { color?: boolean } = {}): Output {
  const wantsColor = options.color !== false && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.stdout.isTTY === true;
  const line = (text: string, write?: WriteOptions) => {
    const shown = write?.screen ? text : neutralise(text);
    return shown.endsWith('\n') ? shown : `${shown}\n`;
  };
  return {
    out: (text, write) => process.stdout.write(line(text, write)),
    err: (text, write) => process.stderr.write(line(text, write)),
    color: wantsColor,
    ...(process.stdout.isTTY === true && process.stdout.columns > 0 ? { columns: process.stdout.columns } : {}),
  };
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

export function paint(output: Pick<Output, 'color'>, style: Style, text: string): string {
  if (!output.color) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
