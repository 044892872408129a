/**
 * An open journal: the verified events so far, and durable appends that extend the chain.
 * Opening never writes, so read-only commands (status, log, plan) leave no trace; the
 * first append of a new journal writes journal.created first, and the first append after
 * a crash first cuts the torn line and records journal.repaired.
 *
 * Open it after taking the lock (lock.ts): the events are read once, and appends assume
 * nobody else writes the same journal.
 */
import type { Clock } from '../support/clock.js';
import type { Identity } from '../support/identity.js';
import { describeIdentity } from '../support/identity.js';
import type { Masker } from '../support/mask.js';
import type { ChainResult, TornLine } from './chain.js';
import { verifyChain } from './chain.js';
import { JournalError } from './errors.js';
import type { JournalEvent, NewEvent } from './events.js';
import { JOURNAL_FORMAT } from './events.js';
import { checkEventShape } from './event-shape.js';
import { hashLine, serializeEvent } from './line.js';
import type { JournalStore } from './store.js';

export interface JournalOptions {
  /** The runbook this journal belongs to; a journal created for another name is refused. */
  runbook: { name: string; file: string };
  identity: Identity;
  masker: Masker;
  clock: Clock;
}

/** Something the caller should tell the operator; the journal itself never prints. */
export type JournalWarning = { torn: TornLine };

type Repair = Pick<ChainResult, 'torn' | 'validBytes' | 'unterminated'>;

export async function openJournal(store: JournalStore, options: JournalOptions): Promise<Journal> {
  const text = await store.readText();
  if (text === undefined) return new Journal(store, options, [], null, undefined);
  let chain: ChainResult;
  try {
    chain = verifyChain(text);
  } catch (error) {
    throw error instanceof JournalError ? error.at(store.location) : error;
  }
  const first = chain.events[0];
  if (first?.type === 'journal.created' && first.data.runbook !== options.runbook.name) {
    throw new JournalError(
      'wrong-runbook',
      `this journal belongs to runbook ${first.data.runbook}, not ${options.runbook.name}`,
      'use the journal of this runbook, or start a new one with --journal',
      1,
      store.location,
    );
  }
  const repair = chain.torn || chain.unterminated ? chain : undefined;
  return new Journal(store, options, chain.events, chain.head, repair);
}

export class Journal {
  readonly warnings: readonly JournalWarning[];
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when a write failed: what is on disk is unknown, so nothing more may be appended. */
  private failure: JournalError | undefined;

  /** Use openJournal. */
  constructor(
    private readonly store: JournalStore,
    private readonly options: JournalOptions,
    private readonly list: JournalEvent[],
    private head: string | null,
    private repair: Repair | undefined,
  ) {
    this.warnings = repair?.torn ? [{ torn: repair.torn }] : [];
  }

  get location(): string {
    return this.store.location;
  }

  /** Every event so far, including this process's appends (the same objects a reader would parse). */
  get events(): readonly JournalEvent[] {
    return this.list;
  }

  /** False until the first line is written. */
  get exists(): boolean {
    return this.list.length > 0;
  }

  /**
   * Adds v, seq, ts, by and prev, masks secrets in `data`, and resolves once the line is
   * durable. Concurrent calls are written one after another in call order.
   *
   * `durable: false` resolves once the line is written but not fsync'ed: it survives
   * cutover being killed, not the machine going down. Only for records that mean nothing
   * after the machine went down (step.spawned: a pid whose process died with the machine);
   * intent and outcome events are always durable. Every later durable append flushes it.
   */
  append(event: NewEvent, options: { durable?: boolean } = {}): Promise<JournalEvent> {
    const result = this.queue.then(() => this.write(event, options.durable !== false));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async write(event: NewEvent, durable: boolean): Promise<JournalEvent> {
    if (this.failure) {
      throw new JournalError(
        'poisoned',
        `an earlier write to the journal failed (${this.failure.problem}), so its end on disk is unknown`,
        'stop here; the next cutover command re-reads the journal and repairs a torn last line',
        undefined,
        this.location,
        { cause: this.failure },
      );
    }
    if (event.type === 'journal.created' || event.type === 'journal.repaired') {
      throw bug(`${event.type} is written by the journal itself`);
    }
    if (event.step !== undefined && this.options.masker.text(event.step) !== event.step) {
      // Masking the id would make the step unrecognisable on resume (and run it again).
      throw new JournalError(
        'refused',
        `the id of step ${this.options.masker.text(event.step)} contains the value of a secret`,
        'rename the step (or its foreach item) so that its id contains no secret',
        undefined,
        this.location,
      );
    }
    await this.repairTail();
    if (this.list.length === 0) {
      const { name, file } = this.options.runbook;
      await this.writeLine({ type: 'journal.created', data: { runbook: name, file } });
    }
    return this.writeLine(event, durable);
  }

  /** Before the first append after a crash: cut the torn line, or end an unterminated one. */
  private async repairTail(): Promise<void> {
    const repair = this.repair;
    if (!repair) return;
    await this.guard(async () => {
      if (repair.torn) await this.store.truncate(repair.validBytes);
      else await this.store.appendLine('');
    });
    this.repair = undefined;
    if (repair.torn) await this.writeLine({ type: 'journal.repaired', data: { line: repair.torn.line, droppedBytes: repair.torn.bytes } });
  }

  private async writeLine(event: NewEvent, durable = true): Promise<JournalEvent> {
    const seq = this.list.length + 1;
    const draft = {
      v: JOURNAL_FORMAT,
      seq,
      ts: this.options.clock.now().toISOString(),
      type: event.type,
      step: event.step,
      attempt: event.attempt,
      by: describeIdentity(this.options.identity),
      data: this.options.masker.value(event.data),
      prev: this.head,
    } as JournalEvent;
    const line = serializeEvent(draft);
    // Keep exactly what a later reader will parse (undefined dropped, dates as strings).
    const shape = checkEventShape(JSON.parse(line), seq);
    if (!shape.ok) throw bug(`cutover tried to journal an invalid ${event.type} event: ${shape.problem}`);
    await this.guard(() => this.store.appendLine(line, { sync: durable }));
    this.list.push(shape.event);
    this.head = hashLine(line);
    return shape.event;
  }

  private async guard(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.failure =
        error instanceof JournalError
          ? error
          : new JournalError('io', `cannot write ${this.location}: ${String(error)}`, 'fix the cause and run the command again', undefined, undefined, {
              cause: error,
            });
      throw this.failure;
    }
  }
}

function bug(problem: string): JournalError {
  return new JournalError('refused', problem, 'this is a bug in cutover; please report it');
}
