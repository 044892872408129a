/** What the engine tells the outside world while it works; the CLI renders it. */
import type { JournalEvent } from '../journal/events.js';

export type EngineNotice =
  | { kind: 'event'; event: JournalEvent }
  | { kind: 'output'; step: string; line: string; stream: 'stdout' | 'stderr' }
  | { kind: 'info'; step?: string; message: string }
  | { kind: 'warning'; step?: string; message: string };

export interface Reporter {
  notify(notice: EngineNotice): void;
}

export const silentReporter: Reporter = { notify: () => undefined };
