/** Renders engine notices: timestamped lines for people, NDJSON for machines. */
import type { EngineNotice, Reporter } from '../engine/reporter.js';
import { formatDuration } from '../runbook/duration.js';
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
          renderEvent(notice.event, line, output);
      }
    },
  };
}

function renderEvent(event: Extract<EngineNotice, { kind: 'event' }>['event'], line: (text: string) => void, output: Output): void {
  const step = event.step ?? '';
  switch (event.type) {
    case 'run.started':
      line(`${paint(output, 'bold', event.data.command)} ${event.data.runbook} by ${event.by}`);
      return;
    case 'step.started':
      line(`${paint(output, 'cyan', '▶')} ${step} started${event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
      return;
    case 'step.succeeded': {
      const how = event.data.recovered ? (event.data.traffic ? ' (recovered: the weights were already applied after an interruption)' : ' (recovered: verify passed after an interruption)') : event.data.markedDone ? ' (marked done by the operator)' : ` in ${formatDuration(event.data.durationMs)}`;
      line(`${paint(output, 'green', '✔')} ${step} succeeded${how}`);
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
      line(`${paint(output, 'green', '✔')} ${step} rolled back in ${formatDuration(event.data.durationMs)}`);
      return;
    case 'rollback.failed':
      line(`${paint(output, 'red', '✖')} ${step} rollback failed (${event.data.phase}): ${event.data.reason}`);
      return;
    case 'rehearsal.step': {
      const verdict = event.data.verdict;
      const shown = verdict === 'passed' ? paint(output, 'green', 'passed') : verdict === 'failed' ? paint(output, 'red', 'FAILED') : paint(output, 'yellow', verdict.replace('-', ' '));
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
      line(paint(output, 'yellow', `! webhook ${event.data.name ?? `#${event.data.webhook}`} was not told ${event.data.event} (${event.data.attempts} ${event.data.attempts === 1 ? 'try' : 'tries'}): ${event.data.reason}; the migration goes on`));
      return;
    default:
      return;
  }
}
