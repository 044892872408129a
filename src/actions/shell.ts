/**
 * `run: <script>` and `{sh: ...}`: the script runs as `<shell> -c <script>`, with the values
 * of its references in its environment (the script only names them; shell-values.ts).
 */
import { displayScript } from '../runbook/shell-values.js';
import type { ShellAction } from '../runbook/types.js';
import { runProcess, type ProcessSpec, type RunOptions } from './process.js';
import type { ActionResult, ExecutionContext } from './types.js';

/** Accepts the shell check variant too (same fields plus `retry`). */
export type ShellCommand = Omit<ShellAction, 'kind'>;

export function shellSpec(action: ShellCommand): ProcessSpec {
  return {
    file: action.shell,
    args: ['-c', action.script],
    cwd: action.cwd,
    env: { ...action.env, ...action.values },
    display: describeScript(displayScript(action)),
    role: 'shell',
  };
}

export function runShell(action: ShellCommand, ctx: ExecutionContext, options?: RunOptions): Promise<ActionResult> {
  return runProcess(shellSpec(action), ctx, options);
}

/** One line for headers and summaries; the full script is in the journaled step definition. */
export function describeScript(script: string): string {
  const lines = script.trim().split('\n');
  const first = lines[0] ?? '';
  return lines.length > 1 ? `${first} … (+${lines.length - 1} lines)` : first;
}
