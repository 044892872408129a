/**
 * Tells the runbook's `notify:` webhooks what happened. Delivery runs beside the migration,
 * never in its way: each webhook gets its own task (a short timeout per try, a few retries
 * with backoff on a network error, 429 or 5xx, waits on the injected clock), its outcome is
 * journaled as notify.sent / notify.failed, and nothing it does can fail the command. A
 * command waits for the tasks still running before it ends (settleNotifications), which is
 * bounded by the timeouts; a signal (Ctrl-C) aborts them at once.
 */
import { formatDuration } from '../runbook/duration.js';
import { webhookLabel } from '../runbook/notify.js';
import type { Webhook } from '../runbook/types.js';
import type { EngineContext, EngineJournal, WebhookResult } from './context.js';
import { record } from './execution.js';
import { jsonPayload, slackPayload } from './notify-payload.js';
import type { NotifyFacts } from './notify-payload.js';

/** The deliveries still running, per journal (a context may be copied; its journal is the same). */
const running = new WeakMap<EngineJournal, Set<Promise<void>>>();

/** Before try n+1: 1s, 2s, 4s... at most 8s. */
export function backoffMs(triesSoFar: number): number {
  return Math.min(8_000, 1_000 * 2 ** (triesSoFar - 1));
}

/** Starts a delivery to every webhook that asked for `facts.event`; returns at once. */
export function notify(ctx: EngineContext, facts: NotifyFacts): void {
  const hooks = ctx.runbook.notify ?? [];
  if (!ctx.webhooks || hooks.length === 0) return;
  const context = { runbook: ctx.runbook.name, host: ctx.host, at: ctx.clock.now() };
  hooks.forEach((hook, index) => {
    // An empty URL (a variable left at its default "") turns the webhook off: a runbook can ship it and CI pass the URL.
    if (!hook.events.includes(facts.event) || hook.url === '') return;
    // Masked before it leaves the process: a reason may quote a command's output.
    const body = JSON.stringify(ctx.masker.value(hook.format === 'slack' ? slackPayload(facts, context) : jsonPayload(facts, context)));
    let tasks = running.get(ctx.journal);
    if (!tasks) running.set(ctx.journal, (tasks = new Set()));
    const task: Promise<void> = deliver(ctx, hook, index, facts, body)
      .catch((error: unknown) => ctx.reporter.notify({ kind: 'warning', message: `notify ${webhookLabel(hook, index)}: ${ctx.masker.text(String(error))}` }))
      .finally(() => tasks.delete(task));
    tasks.add(task);
  });
}

/** Waits for the deliveries still running (each bounded by its timeouts and retries). */
export async function settleNotifications(ctx: Pick<EngineContext, 'journal'>): Promise<void> {
  const tasks = running.get(ctx.journal);
  while (tasks && tasks.size > 0) await Promise.all([...tasks]);
}

async function deliver(ctx: EngineContext, hook: Webhook, index: number, facts: NotifyFacts, body: string): Promise<void> {
  const port = ctx.webhooks;
  if (!port) return;
  const about = {
    webhook: index + 1,
    ...(hook.name !== undefined ? { name: hook.name } : {}),
    event: facts.event,
    ...(facts.step !== undefined ? { step: facts.step } : {}),
  };
  if (!isHttpUrl(hook.url)) {
    // The reason never quotes the URL: it may be a secret.
    await record(ctx, {
      type: 'notify.failed',
      data: { ...about, attempts: 0, reason: 'the url is not an http:// or https:// URL (check the variable or environment variable it comes from)' },
    });
    return;
  }
  let tries = 0;
  let result: WebhookResult;
  for (;;) {
    tries += 1;
    result = await port.post({ url: hook.url, body, timeoutMs: hook.timeoutMs, signal: ctx.signal });
    if (result.kind === 'answered' && result.status >= 200 && result.status < 300) {
      await record(ctx, { type: 'notify.sent', data: { ...about, attempts: tries, status: result.status } });
      return;
    }
    if (!retryable(result) || tries > hook.retries || ctx.signal.aborted) break;
    try {
      await ctx.clock.sleep(backoffMs(tries), ctx.signal);
    } catch {
      result = { kind: 'aborted' };
      break;
    }
  }
  const reason = ctx.masker.text(describe(result, hook, ctx.signal));
  await record(ctx, { type: 'notify.failed', data: { ...about, attempts: tries, reason, ...(result.kind === 'answered' ? { status: result.status } : {}) } });
}

/**
 * A network error, 429 or 5xx may pass on a second try. A timeout is not retried: the
 * webhook may have received the message and be slow to answer, and a retry would post it twice.
 */
function retryable(result: WebhookResult): boolean {
  if (result.kind === 'network') return true;
  return result.kind === 'answered' && (result.status === 429 || result.status >= 500);
}

function describe(result: WebhookResult, hook: Webhook, signal: AbortSignal): string {
  switch (result.kind) {
    case 'answered':
      return `HTTP ${result.status}`;
    case 'timeout':
      return `no answer within ${formatDuration(hook.timeoutMs)}`;
    case 'aborted':
      return `stopped by ${String(signal.reason ?? 'a signal')}`;
    case 'network':
      return result.message;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
