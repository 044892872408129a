/**
 * The one top-level catch: an expected ending (error-exit.ts maps it) becomes an exit code
 * and a line, anything else is a bug, reported with its stack. Shared by the commander path
 * and the fast path of main.ts. Whatever it prints has the loaded runbook's secrets masked.
 */
import { exitForError } from './error-exit.js';
import { ExitCode } from './exit.js';
import { maskKnownSecrets } from './known-secrets.js';
import type { Output } from './output.js';

export async function runGuarded(output: Output, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return ExitCode.ok;
  } catch (error) {
    const expected = exitForError(error);
    if (expected) {
      if (expected.message) output.err(maskKnownSecrets(expected.message));
      return expected.code;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    output.err(`cutover: internal error (this is a bug; please report it with the lines below)\n${maskKnownSecrets(detail)}`);
    return 70;
  }
}
