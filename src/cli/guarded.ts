/**
 * The one top-level catch: expected endings (ExitError) become an exit code and a line,
 * anything else is a bug, reported with its stack. Shared by the commander path and the
 * fast paths of main.ts. Whatever it prints has the loaded runbook's secrets masked.
 */
import { ExitCode, ExitError } from './exit.js';
import { maskKnownSecrets } from './known-secrets.js';
import type { Output } from './output.js';

export async function runGuarded(output: Output, body: () => Promise<void>, usageError?: (error: unknown) => number | undefined): Promise<number> {
  try {
    await body();
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof ExitError) {
      if (error.message) output.err(maskKnownSecrets(error.message));
      return error.code;
    }
    const usage = usageError?.(error);
    if (usage !== undefined) return usage;
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    output.err(`cutover: internal error (this is a bug; please report it with the lines below)\n${maskKnownSecrets(detail)}`);
    return 70;
  }
}
