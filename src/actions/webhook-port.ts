/** The port the engine sends notifications through (the real one is webhook.ts; tests use a fake). */
/** How one POST to a webhook ended: an answer (any status), or why there was none. */
export type WebhookResult =
  | { kind: 'answered'; status: number }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  /** Connection refused, DNS, TLS...: `message` never holds the URL (it may be a secret). */
  | { kind: 'network'; message: string };

/** POSTs a JSON body; resolves within timeoutMs, or at once when `signal` aborts. Never rejects. */
export interface WebhookPort {
  post(request: { url: string; body: string; timeoutMs: number; signal: AbortSignal }): Promise<WebhookResult>;
}
