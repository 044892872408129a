/** Renders engine notices: timestamped lines for people, NDJSON for machines. */
import type { EngineNotice, Reporter } from '../engine/reporter.js';
import { formatDuration } from '../runbook/duration.js';
import { describeChange } from '../engine/drift.js';
import type { Output } from './output.js';
import { paint } from './output.js';

export function jsonReporter(output: Output): Reporter {
  return {
    notify(notice) {
      if (notice.kind === 'event') output.out(JSON.stringify({ type: 'event', event: notice.event }));
      else output.out(JSON.stringify({ type: notice.kind, ...notice, kind: undefined }));
    },
  };
}

export function lineReporter(output: Output, options: { showOutput: boolean }): Reporter {
  const time = () => new Date().toISOString().slice(11, 19);
  const line = (text: string) => output.err(`${paint(output, 'dim', time())} ${text}`);
  const weights = trafficWeights();
  return {
    notify(notice: EngineNotice) {
      switch (notice.kind) {
        case 'output':
          if (options.showOutput) output.err(`${paint(output, 'dim', `${time()}   ${notice.step} │`)} ${notice.line}`);
          return;
        case 'info':
          line(`${notice.step ? `${notice.step}: ` : ''}${notice.message}`);
          return;
        case 'warning':
          line(paint(output, 'yellow', `! ${notice.step ? `${notice.step}: ` : ''}${notice.message}`));
          return;
        case 'event':
          renderEvent(notice.event, line, output, weights.change(notice.event));
      }
    },
  };
}

type Event = Extract<EngineNotice, { kind: 'event' }>['event'];

/**
 * The weights each traffic target had last (captured live before a change, or left by a
 * step or a rollback), so a result line can say what changed: `onprem 100→99, aws 0→1`.
 */
function trafficWeights() {
  const last = new Map<string, { weights: Record<string, number>; names: Record<string, string> }>();
  // Keys in the order the step writes them (`onprem: 90, aws: 10`).
  const order = new Map<string, string[]>();
  return {
    /** The change an event made (step.succeeded, rollback.succeeded with traffic), as text; records what it saw. */
    change(event: Event): string | undefined {
      if (event.type === 'step.started' && event.step !== undefined) {
        const action = event.data.definition.action;
        if (action.kind === 'route53' || action.kind === 'elbv2') order.set(event.step, Object.keys(action.weights));
        return undefined;
      }
      if (event.type === 'step.captured') {
        last.set(event.data.target, { weights: event.data.weights, names: event.data.names ?? {} });
        return undefined;
      }
      const left = event.type === 'step.succeeded' || event.type === 'rollback.succeeded' ? event.data.traffic : undefined;
      if (!left) return undefined;
      const before = last.get(left.target);
      const names = before?.names ?? namesFromArns(left.weights);
      last.set(left.target, { weights: left.weights, names });
      // Nothing seen before it in this command (a rollback, a recovery): the weights it left.
      return describeChange(before?.weights ?? left.weights, left.weights, names, (event.step !== undefined ? order.get(event.step) : undefined) ?? [], '→');
    },
  };
}

/** ELBv2 keys are target group ARNs: `arn:…:targetgroup/<name>/<id>` reads as its name. */
function namesFromArns(weights: Record<string, number>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(weights).flatMap((key) => {
      const name = /:targetgroup\/([^/]+)\//.exec(key)?.[1];
      return name ? [[key, name]] : [];
    }),
  );
}

function renderEvent(event: Event, line: (text: string) => void, output: Output, change?: string): void {
  const step = event.step ?? '';
  switch (event.type) {
    case 'run.started':
      line(`${paint(output, 'bold', event.data.command)} ${event.data.runbook} by ${event.by}`);
      return;
    case 'step.started':
      line(`${paint(output, 'cyan', '▶')} ${step} started${event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
      return;
    case 'step.succeeded': {
      const how = event.data.recovered
        ? event.data.traffic
          ? ' (recovered: the weights were already applied after an interruption)'
          : ' (recovered: verify passed after an interruption)'
        : event.data.markedDone
          ? ' (marked done by the operator)'
          : ` in ${formatDuration(event.data.durationMs)}`;
      line(`${paint(output, 'green', '✔')} ${step} succeeded${how}${change ? `: ${change}` : ''}`);
      return;
    }
    case 'step.failed':
      line(`${paint(output, 'red', '✖')} ${step} failed (${event.data.phase}): ${event.data.reason}`);
      return;
    case 'step.interrupted':
      line(`${paint(output, 'yellow', '■')} ${step} interrupted: ${event.data.reason}`);
      return;
    case 'step.skipped':
      line(`${paint(output, 'dim', '↷')} ${step} skipped: ${event.data.reason}`);
      return;
    case 'rollback.started':
      line(`${paint(output, 'yellow', '↶')} ${step} rolling back`);
      return;
    case 'rollback.succeeded':
      line(`${paint(output, 'green', '✔')} ${step} rolled back in ${formatDuration(event.data.durationMs)}${change ? `: ${change}` : ''}`);
      return;
    case 'rollback.failed':
      line(`${paint(output, 'red', '✖')} ${step} rollback failed (${event.data.phase}): ${event.data.reason}`);
      return;
    case 'rehearsal.step': {
      const verdict = event.data.verdict;
      const shown =
        verdict === 'passed'
          ? paint(output, 'green', 'passed')
          : verdict === 'failed'
            ? paint(output, 'red', 'FAILED')
            : paint(output, 'yellow', verdict.replace('-', ' '));
      line(`${paint(output, 'bold', '≡')} ${step} rehearsal: ${shown}${event.data.reason && verdict !== 'passed' ? ` (${event.data.reason})` : ''}`);
      return;
    }
    case 'changes.accepted':
      line(`${paint(output, 'yellow', '!')} ${step}: changed definition accepted (--accept-changes)`);
      return;
    case 'notify.sent':
      line(paint(output, 'dim', `notified webhook ${event.data.name ?? `#${event.data.webhook}`} (${event.data.event})`));
      return;
    case 'notify.failed':
      line(
        paint(
          output,
          'yellow',
          `! webhook ${event.data.name ?? `#${event.data.webhook}`} was not told ${event.data.event} (${event.data.attempts} ${event.data.attempts === 1 ? 'try' : 'tries'}): ${event.data.reason}; the migration goes on`,
        ),
      );
      return;
    default:
      return;
  }
}
