/**
 * The real webhook port: Node's fetch, one POST per call, bounded by AbortSignal.timeout
 * and by the command's signal (Ctrl-C). It never throws, and what it says about a failure
 * never quotes the URL, which may be a secret (a Slack webhook URL is one).
 */
import type { WebhookPort, WebhookResult } from '../engine/context.js';

export const fetchWebhooks: WebhookPort = {
  async post({ url, body, timeoutMs, signal }): Promise<WebhookResult> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cutover' },
        body,
        signal: AbortSignal.any([signal, timeout]),
      });
      // The answer's body means nothing here: drop it, so the connection is freed.
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'answered', status: response.status };
    } catch (error) {
      if (signal.aborted) return { kind: 'aborted' };
      if (timeout.aborted) return { kind: 'timeout' };
      return { kind: 'network', message: networkMessage(error) };
    }
  },
};

/** fetch says "fetch failed"; the cause says what: "connect ECONNREFUSED 127.0.0.1:9", "getaddrinfo ENOTFOUND host". */
function networkMessage(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message) return cause.message;
  if (cause && typeof cause === 'object' && 'code' in cause) return String((cause as { code: unknown }).code);
  return error instanceof Error && error.name !== 'TypeError' ? error.message : 'the request failed (network error)';
}
