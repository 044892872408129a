/** What the engine calls: run one action, or run a check. */
import type { Action } from '../runbook/types.js';
import { runCheck } from './checks.js';
import { runExec } from './exec.js';
import { runShell } from './shell.js';
import type { ActionResult, ExecutionContext } from './types.js';
import { runWait } from './wait.js';

export { runCheck } from './checks.js';

export function runAction(action: Action, ctx: ExecutionContext): Promise<ActionResult> {
  switch (action.kind) {
    case 'shell':
      return runShell(action, ctx);
    case 'exec':
      return runExec(action, ctx);
    case 'wait':
      return runWait(action, ctx);
    case 'gate':
      throw new Error('internal error: a check-only step has no action to run');
    case 'manual':
      // Reaching here is an engine bug: a manual step needs the operator, not a process.
      throw new Error('internal error: manual actions are carried out through the operator, not runAction');
    case 'route53':
    case 'elbv2':
      throw new Error(`internal error: ${action.kind} actions are not implemented yet`);
  }
}

/** Matches the engine's `Actions` port. */
export const actions = { runAction, runCheck };
