/**
 * The runbook's `notify:` block: webhooks told about what needs people (an approval, a
 * failure, a rollback, the end). Its schema lives here, not in schema.ts, and is resolved
 * here too; none of it enters a step's digest (who is told changes no step).
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { closest } from './suggest.js';
import type { NotifyEvent, Webhook } from './types.js';

/** Every event a webhook can ask for, in the order a run meets them. */
export const NOTIFY_EVENTS = [
  'run-started',
  'waiting-approval',
  'step-failed',
  'watch-failed',
  'rolled-back',
  'rollback-failed',
  'completed',
] as const satisfies readonly NotifyEvent[];

/** `events:` left out: everything but run-started, which a CI job retried every few minutes would repeat. */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEvent[] = NOTIFY_EVENTS.filter((event) => event !== 'run-started');

export const DEFAULT_NOTIFY_TIMEOUT_MS = 5_000;
/** A webhook never holds a migration up for long: a slower one is a failed delivery. */
export const MAX_NOTIFY_TIMEOUT_MS = 30_000;
export const DEFAULT_NOTIFY_RETRIES = 2;
export const MAX_NOTIFY_RETRIES = 5;

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

const known = NOTIFY_EVENTS.join(', ');

const notifyEvent = z
  .enum(NOTIFY_EVENTS, {
    error: (issue) => {
      const input = issue.input;
      if (typeof input !== 'string') return `an event is one of: ${known}`;
      const guess = closest(input, NOTIFY_EVENTS);
      return `unknown event "${input}"; ${guess ? `did you mean "${guess}"?` : `events are: ${known}`}`;
    },
  })
  .meta({ description: 'run-started, waiting-approval, step-failed, watch-failed, rolled-back, rollback-failed or completed' });

const webhookKeys = ['name', 'url', 'format', 'events', 'timeout', 'retries'];

const webhook = z
  .strictObject(
    {
      name: z
        .string()
        .regex(NAME_PATTERN, { error: 'a webhook name is lowercase letters, digits and dashes (the journal and status call the webhook by it)' })
        .max(100)
        .optional()
        .meta({
          description: 'How the journal, status and the report call this webhook (default: its position, #1, #2, ...); the URL itself is never journaled',
        }),
      url: z
        .string({ error: 'a webhook needs a url (http:// or https://; ${var} or ${env.NAME} for a secret one)' })
        .min(1, { error: 'a webhook needs a url' })
        .refine((text) => /^https?:\/\//i.test(text) || text.startsWith('${'), {
          error: 'a webhook url starts with http:// or https:// (or is a ${var} / ${env.NAME} reference)',
        })
        .meta({ description: 'Where to POST; a secret var or a `secrets:` env var keeps it out of every output', examples: ['${env.SLACK_WEBHOOK_URL}'] }),
      format: z
        .enum(['slack', 'json'], { error: "format is slack (a Slack incoming webhook payload) or json (cutover's own payload, version 1)" })
        .optional()
        .meta({ description: 'slack or json (default json)' }),
      events: z
        .array(notifyEvent, { error: `events is a list of: ${known}` })
        .min(1, { error: 'an empty events list notifies nothing; remove the webhook, or the key for the default' })
        .optional()
        .meta({ description: 'Events to send (default: all but run-started)' }),
      timeout: z
        .string()
        .regex(new RegExp(DURATION_PATTERN), { error: 'timeout is a duration such as 5s' })
        .refine(
          (text) => {
            const ms = parseDuration(text) ?? 0;
            return ms > 0 && ms <= MAX_NOTIFY_TIMEOUT_MS;
          },
          { error: 'a webhook timeout is more than 0 and at most 30s' },
        )
        .optional()
        .meta({ description: 'Per request (default 5s, at most 30s)' }),
      retries: z
        .number()
        .int()
        .min(0)
        .max(MAX_NOTIFY_RETRIES, { error: `retries goes from 0 to ${MAX_NOTIFY_RETRIES}` })
        .optional()
        .meta({ description: 'Tries after the first on a network error, 429 or 5xx (default 2)' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys
              .map((key) => {
                const guess = closest(key, webhookKeys);
                return `unknown key "${key}" in a notify webhook; ${guess ? `did you mean "${guess}"?` : `allowed keys: ${webhookKeys.join(', ')}`}`;
              })
              .join('\n')
          : undefined,
    },
  )
  .meta({ description: 'A webhook: {url, format, events, name, timeout, retries}' });

export const notifyBlock = z
  .array(webhook, { error: 'notify is a list of webhooks: - {url: ..., format: slack, events: [...]}' })
  .meta({ description: 'Webhooks told about approvals, failures, rollbacks and the end of a run; delivery never blocks or fails the migration' });

export type RawWebhook = z.infer<typeof webhook>;

/** Raw → typed, with `text` interpolating references (the URL, the name). */
export function resolveNotify(raw: readonly RawWebhook[], text: (value: string) => string): Webhook[] {
  return raw.map((hook) => ({
    ...(hook.name !== undefined ? { name: hook.name } : {}),
    url: text(hook.url),
    format: hook.format ?? 'json',
    events: hook.events ? [...new Set(hook.events)] : [...DEFAULT_NOTIFY_EVENTS],
    timeoutMs: hook.timeout === undefined ? DEFAULT_NOTIFY_TIMEOUT_MS : (parseDuration(hook.timeout) ?? DEFAULT_NOTIFY_TIMEOUT_MS),
    retries: hook.retries ?? DEFAULT_NOTIFY_RETRIES,
  }));
}

/** How the journal, status and the report call a webhook: never by its URL, which may be a secret. */
export function webhookLabel(hook: Pick<Webhook, 'name'>, index: number): string {
  return hook.name ?? `#${index + 1}`;
}

/** What plan shows of a webhook: where it goes (scheme and host only: the path of a Slack URL is its secret) and what it is told. */
export interface WebhookOutline {
  webhook: number;
  name?: string;
  format: Webhook['format'];
  events: NotifyEvent[];
  /** `https://hooks.slack.com`; `off` when the URL is empty; `invalid` when it is no http(s) URL. */
  target: string;
}

export function outlineWebhooks(hooks: readonly Webhook[] | undefined): WebhookOutline[] {
  return (hooks ?? []).map((hook, index) => ({
    webhook: index + 1,
    ...(hook.name !== undefined ? { name: hook.name } : {}),
    format: hook.format,
    events: [...hook.events],
    target: targetOf(hook.url),
  }));
}

function targetOf(url: string): string {
  if (url === '') return 'off';
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? `${parsed.protocol}//${parsed.host}` : 'invalid';
  } catch {
    return 'invalid';
  }
}
