/**
 * What a webhook receives: cutover's own JSON (version 1, docs/runbook-format.md#notify)
 * or a Slack incoming-webhook message. Pure; the caller masks secrets in the result.
 */
import type { NotifyEvent } from '../runbook/types.js';

export const NOTIFY_PAYLOAD_VERSION = 1;

/** What the engine knows when something happens; `step`, `reason`, `steps` only where they apply. */
export interface NotifyFacts {
  event: NotifyEvent;
  step?: string;
  reason?: string;
  /** rolled-back, rollback-failed: the steps rolled back (newest first). */
  steps?: string[];
  /** run-started: run, resume or rollback. */
  command?: string;
  /** waiting-approval: the manual step's instructions and the command that approves it. */
  instructions?: string;
  approve?: string;
}

export interface NotifyContext {
  runbook: string;
  host: string;
  at: Date;
}

/** Version 1 of the JSON payload: fields are only added in a version, never renamed or removed. */
export interface JsonPayload {
  version: typeof NOTIFY_PAYLOAD_VERSION;
  source: 'cutover';
  event: NotifyEvent;
  runbook: string;
  at: string;
  host: string;
  message: string;
  step?: string;
  reason?: string;
  steps?: string[];
  command?: string;
  instructions?: string;
  approve?: string;
}

export function notifyMessage(facts: NotifyFacts, runbook: string): string {
  const step = facts.step ?? '?';
  const because = facts.reason ? `: ${facts.reason}` : '';
  switch (facts.event) {
    case 'run-started':
      return `${runbook}: ${facts.command ?? 'run'} started`;
    case 'waiting-approval':
      return `${runbook}: step ${step} waits for approval${facts.approve ? `; when done: ${facts.approve}` : ''}`;
    case 'step-failed':
      return `${runbook}: step ${step} failed${because}`;
    case 'watch-failed':
      return `${runbook}: the watch of ${step} failed during its bake${because}`;
    case 'rolled-back':
      return `${runbook}: rolled back ${facts.steps && facts.steps.length > 0 ? facts.steps.join(', ') : 'nothing'}${facts.step ? ` after ${facts.step}` : ''}${because}`;
    case 'rollback-failed':
      return `${runbook}: the rollback stopped at ${step}${because}; someone must look now (cutover status)`;
    case 'completed':
      return `${runbook}: completed`;
  }
}

export function jsonPayload(facts: NotifyFacts, context: NotifyContext): JsonPayload {
  const { event, ...rest } = facts;
  return {
    version: NOTIFY_PAYLOAD_VERSION,
    source: 'cutover',
    event,
    runbook: context.runbook,
    at: context.at.toISOString(),
    host: context.host,
    message: notifyMessage(facts, context.runbook),
    ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
  };
}

const TITLES: Record<NotifyEvent, string> = {
  'run-started': ':arrow_forward: Run started',
  'waiting-approval': ':raised_hand: Waiting for approval',
  'step-failed': ':x: Step failed',
  'watch-failed': ':warning: Watch failed',
  'rolled-back': ':leftwards_arrow_with_hook: Rolled back',
  'rollback-failed': ':rotating_light: Rollback failed',
  completed: ':white_check_mark: Completed',
};

/** Slack's section text limit is 3000 characters; a long reason is cut well before it. */
const MAX_FIELD = 1500;

/** Slack's mrkdwn treats &, < and > as markup (links, mentions): they are escaped. */
export function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function cut(text: string): string {
  return text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD)}…` : text;
}

/** A Slack incoming-webhook message: `text` (the notification fallback) and blocks. */
export function slackPayload(facts: NotifyFacts, context: NotifyContext): { text: string; blocks: unknown[] } {
  const lines = [`*${TITLES[facts.event]}* · \`${slackEscape(context.runbook)}\``];
  if (facts.step) lines.push(`*Step:* \`${slackEscape(facts.step)}\``);
  if (facts.steps && facts.steps.length > 0) lines.push(`*Rolled back:* ${facts.steps.map((s) => `\`${slackEscape(s)}\``).join(', ')}`);
  if (facts.reason) lines.push(`*Why:* ${slackEscape(cut(facts.reason))}`);
  if (facts.instructions) lines.push(`*Asks:* ${slackEscape(cut(facts.instructions))}`);
  if (facts.approve) lines.push(`*Approve with:* \`${slackEscape(facts.approve)}\``);
  return {
    text: slackEscape(cut(notifyMessage(facts, context.runbook))),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `cutover on ${slackEscape(context.host)} at ${context.at.toISOString()}` }] },
    ],
  };
}
