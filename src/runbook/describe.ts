/** One-line, human summaries of actions, checks and rollbacks (plan, prompts, status). */
import { formatDuration } from './duration.js';
import { displayScript } from './shell-values.js';
import type { Action, Check, Rollback, SingleCheck } from './types.js';
import { describeMetricCheck } from './describe-metrics.js';

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'shell':
      return action.shell === 'sh' ? displayScript(action).trim() : `${action.shell}: ${displayScript(action).trim()}`;
    case 'exec':
      return action.argv.map((arg) => (/[\s'"]/.test(arg) ? JSON.stringify(arg) : arg)).join(' ');
    case 'manual':
      return `manual: ${action.instructions}`;
    case 'wait':
      return `wait ${formatDuration(action.durationMs)}`;
    case 'gate':
      return 'nothing: a check-only step (its precheck and verify decide)';
    case 'route53':
      return `route53 ${action.name} ${action.type} in ${action.zone}: ${describeWeights(action.weights)}`;
    case 'elbv2':
      return `elbv2 ${action.target.kind} ${action.target.arn}: ${describeWeights(action.weights)}`;
  }
}

export function describeWeights(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([name, weight]) => `${name}=${weight}`)
    .join(', ');
}

export function describeSingleCheck(check: SingleCheck): string {
  const retry = check.retry ? ` (retry for ${formatDuration(check.retry.forMs)} every ${formatDuration(check.retry.intervalMs)})` : '';
  switch (check.kind) {
    case 'shell':
      return `${displayScript(check).trim()}${retry}`;
    case 'exec':
      return `${check.argv.join(' ')}${retry}`;
    case 'http': {
      const sampling = check.samples > 1 ? `, ${check.samples} samples, ${Math.round(check.minSuccess * 100)}% must pass` : '';
      return `http ${check.method} ${check.url} expects ${check.expectStatus.join('|')}${sampling}${retry}`;
    }
    case 'elbv2TargetHealth':
      return `elbv2 target health of ${check.targetGroup}: at least ${check.minHealthy} healthy${retry}`;
    case 'cloudwatchAlarm':
    case 'cloudwatchMetric':
    case 'prometheus':
      return `${describeMetricCheck(check)}${retry}`;
  }
}

export function describeCheck(check: Check | undefined): string[] {
  return (check ?? []).map(describeSingleCheck);
}

export function describeRollback(rollback: Rollback): string {
  switch (rollback.kind) {
    case 'action':
      return describeAction(rollback.run);
    case 'derived':
      return 'put back the weights captured before the change';
    case 'none':
      return `none (irreversible: ${rollback.reason})`;
  }
}
