/**
 * The engine's context for in-memory engine tests: a journal on a memory store, the
 * non-interactive operator, a silent reporter, no real processes. Each test file passes
 * its own actions (fake shell world) and traffic port, and overrides what it needs.
 */
import type { Actions, EngineContext } from '../../src/engine/context.js';
import { nonInteractiveOperator } from '../../src/engine/operator.js';
import { silentReporter } from '../../src/engine/reporter.js';
import { openJournal } from '../../src/journal/journal.js';
import type { Journal } from '../../src/journal/journal.js';
import type { JournalStore } from '../../src/journal/store.js';
import type { Runbook } from '../../src/runbook/types.js';
import type { Clock } from '../../src/support/clock.js';
import { createMasker } from '../../src/support/mask.js';
import type { Masker } from '../../src/support/mask.js';
import { alice } from './journal-fixtures.js';

export interface TestEngineOptions {
  runbook: Runbook;
  store: JournalStore;
  clock: Clock;
  actions: Actions;
  /** Where step logs go: a temp dir of the test file. */
  logDir: string;
  /** The journal's own masker (default: the runbook's secrets, like the CLI). */
  journalMasker?: Masker;
  overrides?: Partial<EngineContext>;
}

export async function testEngineContext(options: TestEngineOptions): Promise<{ ctx: EngineContext; journal: Journal }> {
  const { runbook, store, clock, actions, logDir } = options;
  const masker = createMasker(runbook.secrets.values);
  const journal = await openJournal(store, {
    runbook: { name: runbook.name, file: runbook.file },
    identity: alice,
    masker: options.journalMasker ?? masker,
    clock,
  });
  const ctx: EngineContext = {
    runbook,
    journal,
    operator: nonInteractiveOperator(),
    reporter: silentReporter,
    actions,
    clock,
    signal: new AbortController().signal,
    cwd: logDir,
    env: {},
    logDir,
    masker,
    host: alice.host,
    processes: { groupAlive: () => false, killGroup: () => undefined },
    ...options.overrides,
  };
  return { ctx, journal };
}
