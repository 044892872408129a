/** precheck / verify / watch: a list of single checks that must all pass, first failure stops. */
import { displayScript } from '../runbook/shell-values.js';
import type { Check, SingleCheck } from '../runbook/types.js';
import { describeArgv, runExec } from './exec.js';
import { runHttpCheck } from './http.js';
import { withRetry } from './retry.js';
import { describeScript, runShell } from './shell.js';
import type { CheckObservation, CheckResult, ExecutionContext } from './types.js';

/** A shell/exec check without a step timeout must still end: a hung `curl` would block the run. */
export const CHECK_TIMEOUT_MS = 5 * 60_000;

export const ELBV2_TARGET_HEALTH_UNAVAILABLE = 'elbv2TargetHealth checks need AWS access, which this command does not set up';
export const CLOUDWATCH_UNAVAILABLE = 'CloudWatch checks need AWS access, which this command does not set up';

export async function runCheck(check: Check, ctx: ExecutionContext): Promise<CheckResult> {
  const many = check.length > 1;
  const details: string[] = [];
  const observations: CheckObservation[] = [];
  const seen = () => (observations.length > 0 ? { observations } : {});
  let last: CheckResult | undefined;
  for (const [index, single] of check.entries()) {
    last = await runSingleCheck(single, ctx);
    details.push(...(many ? last.details.map((line) => `check ${index + 1}: ${line}`) : last.details));
    observations.push(...(last.observations ?? []));
    if (!last.ok) {
      const summary = many ? `check ${index + 1} of ${check.length} failed: ${last.summary}` : last.summary;
      return { ...last, summary, details, ...seen() };
    }
  }
  if (!last) return { ok: true, summary: 'no checks', details };
  return { ok: true, summary: many ? `all ${check.length} checks passed` : last.summary, details, ...seen() };
}

export function runSingleCheck(check: SingleCheck, ctx: ExecutionContext): Promise<CheckResult> {
  switch (check.kind) {
    case 'shell':
    case 'exec':
      return withRetry(check.retry, ctx, () => runCommandCheck(check, ctx));
    case 'http':
      return withRetry(check.retry, ctx, () => runHttpCheck(check, ctx));
    case 'elbv2TargetHealth': {
      const clients = ctx.aws;
      // Not retried without clients: polling cannot make a missing setup pass.
      if (!clients) return Promise.resolve({ ok: false, summary: ELBV2_TARGET_HEALTH_UNAVAILABLE, details: [] });
      return withRetry(check.retry, ctx, async () => {
        const { runElbv2TargetHealth } = await import('./elbv2-target-health.js');
        return runElbv2TargetHealth(check, { clients, signal: ctx.signal });
      });
    }
    case 'cloudwatchAlarm':
    case 'cloudwatchMetric': {
      const clients = ctx.aws;
      if (!clients?.cloudwatch) return Promise.resolve({ ok: false, summary: CLOUDWATCH_UNAVAILABLE, details: [] });
      return withRetry(check.retry, ctx, async () => {
        const aws = { clients, signal: ctx.signal, clock: ctx.clock };
        // Masked: alarm names and dimensions come from the runbook, which may hold a secret.
        if (check.kind === 'cloudwatchAlarm') return ctx.masker.value(await (await import('./cloudwatch-alarm.js')).runCloudwatchAlarm(check, aws));
        return ctx.masker.value(await (await import('./cloudwatch-metric.js')).runCloudwatchMetric(check, aws));
      });
    }
    case 'prometheus':
      return withRetry(check.retry, ctx, async () => (await import('./prometheus.js')).runPrometheus(check, ctx));
  }
}

async function runCommandCheck(check: Extract<SingleCheck, { kind: 'shell' | 'exec' }>, ctx: ExecutionContext): Promise<CheckResult> {
  const context = { ...ctx, timeoutMs: ctx.timeoutMs ?? CHECK_TIMEOUT_MS };
  const result = check.kind === 'shell' ? await runShell(check, context) : await runExec(check, context);
  const label = ctx.masker.text(check.kind === 'shell' ? describeScript(displayScript(check)) : describeArgv(check.argv));
  if (result.ok) return { ok: true, summary: `\`${label}\` passed`, details: [] };
  // The tail is already masked; it shows why the command said no.
  return { ok: false, summary: `\`${label}\` failed: ${result.reason}`, details: result.tail, aborted: result.aborted };
}
