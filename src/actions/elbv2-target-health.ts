/**
 * The `elbv2TargetHealth` check: enough targets of a target group report `healthy`.
 * A check reports, it does not throw: AWS errors become a failed CheckResult with the
 * one-line message from describeAwsError.
 */
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import type { CheckResult } from './types.js';

export interface Elbv2TargetHealthCheck {
  /** Target group ARN or name. */
  targetGroup: string;
  minHealthy: number;
}

export async function runElbv2TargetHealth(check: Elbv2TargetHealthCheck, ctx: { clients: AwsClients; signal: AbortSignal }): Promise<CheckResult> {
  try {
    const client = await ctx.clients.elbv2();
    const { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
    const group = await resolveTargetGroup(check.targetGroup, (names) =>
      client.send(new DescribeTargetGroupsCommand({ Names: names }), { abortSignal: ctx.signal }),
    );
    const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.arn }), { abortSignal: ctx.signal });
    return verdict(out.TargetHealthDescriptions ?? [], group.name, check.minHealthy);
  } catch (error) {
    // An interrupt is not a verdict on the targets.
    if (ctx.signal.aborted) return { ok: false, summary: `target health of ${check.targetGroup}: interrupted`, details: [], aborted: true };
    return { ok: false, summary: describeAwsError(error, `reading the target health of ${check.targetGroup}`).message, details: [] };
  }
}

type DescribeByNames = (names: string[]) => Promise<{ TargetGroups?: { TargetGroupArn?: string; TargetGroupName?: string }[] }>;

/** An ARN is used as is (its name segment is the group's name); a name costs one lookup. */
async function resolveTargetGroup(key: string, describe: DescribeByNames): Promise<{ arn: string; name: string }> {
  if (key.startsWith('arn:')) return { arn: key, name: key.split(':targetgroup/')[1]?.split('/')[0] || key };
  const out = await describe([key]);
  const arn = out.TargetGroups?.find((g) => g.TargetGroupName === key)?.TargetGroupArn ?? out.TargetGroups?.[0]?.TargetGroupArn;
  // AWS answers an unknown name with TargetGroupNotFound; this covers an empty answer.
  if (!arn) throw Object.assign(new Error(`target group ${key} not found`), { name: 'TargetGroupNotFound' });
  return { arn, name: key };
}

function verdict(targets: TargetHealthDescription[], name: string, minHealthy: number): CheckResult {
  const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
  return {
    ok: healthy >= minHealthy,
    summary: `${healthy}/${targets.length} targets healthy in ${name} (need ${minHealthy})`,
    details: targets.map(describeTarget),
  };
}

/** `i-0abc:8080 unhealthy Target.FailedHealthChecks`; the port is left out when AWS gives none (Lambda targets). */
function describeTarget(target: TargetHealthDescription): string {
  const id = target.Target?.Id ?? '?';
  const port = target.Target?.Port !== undefined ? `:${target.Target.Port}` : '';
  const state = target.TargetHealth?.State ?? 'unknown';
  const reason = target.TargetHealth?.Reason ? ` ${target.TargetHealth.Reason}` : '';
  return `${id}${port} ${state}${reason}`;
}
