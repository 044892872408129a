/**
 * The `cloudwatchAlarm` check: every named alarm (or every alarm whose name starts with a
 * prefix) is OK. DescribeAlarms only, metric and composite alarms, every page. An alarm that
 * does not exist, or a prefix that matches none, fails: a typo must not pass as "all OK".
 */
import type { CompositeAlarm, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import type { CloudwatchAlarmCheck } from '../runbook/metric-types.js';
import type { CheckResult } from './types.js';
import { alarmLabel } from '../runbook/metric-labels.js';

type Alarm = Pick<MetricAlarm | CompositeAlarm, 'AlarmName' | 'StateValue' | 'StateReason'>;

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

export async function runCloudwatchAlarm(check: CloudwatchAlarmCheck, ctx: { clients: AwsClients; signal: AbortSignal }): Promise<CheckResult> {
  const label = alarmLabel(check);
  try {
    if (!ctx.clients.cloudwatch) throw new Error('no CloudWatch client is set up');
    const client = await ctx.clients.cloudwatch();
    const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
    const alarms: Alarm[] = [];
    const batches = check.alarms ? chunks(check.alarms, NAMES_PER_CALL).map((names) => ({ AlarmNames: names })) : [{ AlarmNamePrefix: check.prefix }];
    for (const batch of batches) {
      let token: string | undefined;
      do {
        const out = await client.send(new DescribeAlarmsCommand({ ...batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: token }), {
          abortSignal: ctx.signal,
        });
        alarms.push(...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? []));
        token = out.NextToken || undefined;
      } while (token);
    }
    return verdict(check, label, alarms);
  } catch (error) {
    if (ctx.signal.aborted) return { ok: false, summary: `${label}: interrupted`, details: [], aborted: true };
    return { ok: false, summary: describeAwsError(error, `reading ${label}`).message, details: [] };
  }
}

function verdict(check: CloudwatchAlarmCheck, label: string, alarms: Alarm[]): CheckResult {
  const found = new Map(alarms.map((a) => [a.AlarmName ?? '?', a]));
  const missing = (check.alarms ?? []).filter((name) => !found.has(name));
  const passes = (state: string | undefined) => state === 'OK' || (state === 'INSUFFICIENT_DATA' && check.insufficientData === 'pass');
  const failing = [...found.values()].filter((a) => !passes(a.StateValue));
  const details = [...found.values()].map(
    (a) => `${a.AlarmName ?? '?'}: ${a.StateValue ?? 'no state'}${a.StateValue !== 'OK' && a.StateReason ? ` (${a.StateReason})` : ''}`,
  );
  details.push(...missing.map((name) => `${name}: no such alarm`));
  const observation = { check: label, value: failing.length + missing.length, max: 0, ok: false };

  if (found.size === 0) {
    const summary = check.alarms
      ? `${label}: no such alarm (check the names and the region)`
      : `${label}: no alarm has a name starting with "${check.prefix}" (check the prefix and the region)`;
    return { ok: false, summary, details, observations: [observation] };
  }
  const problems = [
    ...failing.map(
      (a) =>
        `${a.AlarmName ?? '?'} is ${a.StateValue ?? 'without a state'}${a.StateValue === 'INSUFFICIENT_DATA' ? ' (not enough data to decide; "insufficientData: pass" accepts it)' : ''}`,
    ),
    ...missing.map((name) => `${name} does not exist`),
  ];
  if (problems.length > 0) return { ok: false, summary: `${label}: ${problems.join('; ')}`, details, observations: [observation] };
  const insufficient = [...found.values()].filter((a) => a.StateValue === 'INSUFFICIENT_DATA').length;
  const accepted = insufficient > 0 ? ` (${insufficient} in INSUFFICIENT_DATA, accepted)` : '';
  return {
    ok: true,
    summary: `${label}: ${found.size === 1 ? 'OK' : `all ${found.size} OK`}${accepted}`,
    details,
    observations: [{ ...observation, ok: true }],
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
