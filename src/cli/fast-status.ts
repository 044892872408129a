/**
 * `cutover status <runbook>` (optionally with --json, --no-color) without commander: the
 * command people run most often, often in a loop, starts close to bare Node speed. Any
 * other option falls back to the full command line (main.ts decides).
 */
import { runGuarded } from './guarded.js';
import { createOutput } from './output.js';

/** The runbook and flags when the arguments are the plain form, else undefined. */
export function plainStatusArgs(args: readonly string[]): { file: string; json: boolean; color: boolean } | undefined {
  if (args[0] !== 'status') return undefined;
  const rest = args.slice(1).filter((a) => a !== '--json' && a !== '--no-color');
  if (rest.length !== 1 || rest[0]!.startsWith('-')) return undefined;
  return { file: rest[0]!, json: args.includes('--json'), color: !args.includes('--no-color') };
}

export async function runPlainStatus(plain: { file: string; json: boolean; color: boolean }): Promise<number> {
  const output = createOutput({ color: plain.color });
  return runGuarded(output, async () => {
    const { statusCommand } = await import('./commands/status.js');
    await statusCommand(plain.file, plain.json ? { json: true } : {}, output);
  });
}
