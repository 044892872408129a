/** A fake webhook port for engine tests: records every POST, answers from a script (default 200). */
import type { WebhookPort, WebhookResult } from '../../src/engine/context.js';

export interface Posted {
  url: string;
  body: Record<string, unknown>;
  timeoutMs: number;
}

export class FakeWebhooks implements WebhookPort {
  readonly posted: Posted[] = [];
  /** Answers for the next posts, in order; then `otherwise`. 'hang' waits for the signal. */
  readonly script: (WebhookResult | 'hang')[] = [];
  otherwise: WebhookResult = { kind: 'answered', status: 200 };

  post(request: { url: string; body: string; timeoutMs: number; signal: AbortSignal }): Promise<WebhookResult> {
    this.posted.push({ url: request.url, body: JSON.parse(request.body) as Record<string, unknown>, timeoutMs: request.timeoutMs });
    const next = this.script.shift() ?? this.otherwise;
    if (next !== 'hang') return Promise.resolve(next);
    return new Promise((resolve) => {
      if (request.signal.aborted) resolve({ kind: 'aborted' });
      request.signal.addEventListener('abort', () => resolve({ kind: 'aborted' }), { once: true });
    });
  }

  /** The `event` of every JSON payload posted to `url`, in order. */
  events(url?: string): string[] {
    return this.posted.filter((p) => url === undefined || p.url === url).map((p) => String(p.body.event));
  }
}
