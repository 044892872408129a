/** `{exec: [argv...]}`: the program runs directly, no shell in between. */
import type { ExecAction } from '../runbook/types.js';
import { runProcess, type ProcessSpec, type RunOptions } from './process.js';
import type { ActionResult, ExecutionContext } from './types.js';

/** Accepts the exec check variant too (same fields plus `retry`). */
export type ExecCommand = Omit<ExecAction, 'kind'>;

export function execSpec(action: ExecCommand): ProcessSpec | undefined {
  const [file, ...args] = action.argv;
  if (file === undefined) return undefined;
  return { file, args, cwd: action.cwd, env: action.env, display: describeArgv(action.argv), role: 'command' };
}

export async function runExec(action: ExecCommand, ctx: ExecutionContext, options?: RunOptions): Promise<ActionResult> {
  const spec = execSpec(action);
  // The loader rejects an empty argv; this only guards a hand-built action.
  if (!spec) return { ok: false, reason: 'exec needs at least a program name', tail: [], durationMs: 0 };
  return runProcess(spec, ctx, options);
}

/** Shell-like quoting so an argument with spaces reads unambiguously in logs. */
export function describeArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}
