/**
 * The live task list for unattended runs in a terminal (`run --yes` at a TTY): one listr2
 * task per step with its state, elapsed time and a tail of its output. Interactive runs
 * use plain lines instead, because a prompt before every step would keep tearing down
 * the list. The engine does not know listr2 exists: this only adapts engine notices.
 */
import type { EngineNotice, Reporter } from '../engine/reporter.js';
import type { JournalState } from '../journal/replay.js';
import { isDone } from '../journal/replay.js';
import type { Step } from '../runbook/types.js';
import { neutralise } from './terminal-text.js';

type StepEnd = { kind: 'ok'; title?: string } | { kind: 'skip'; reason: string } | { kind: 'fail'; reason: string };

interface Slot {
  settle: (end: StepEnd) => void;
  output?: (line: string) => void;
  settled: boolean;
}

export interface LiveList {
  reporter: Reporter;
  /** Settles every step the run did not reach, then waits for the renderer to finish. */
  finish(reason: string): Promise<void>;
}

export async function startLiveList(steps: readonly Step[], journal: JournalState): Promise<LiveList> {
  const { Listr, PRESET_TIMER } = await import('listr2');
  const slots = new Map<string, Slot>();
  const ends = new Map<string, Promise<StepEnd>>();
  for (const step of steps) {
    let settle: (end: StepEnd) => void = () => undefined;
    ends.set(step.id, new Promise<StepEnd>((resolve) => (settle = resolve)));
    const slot: Slot = {
      settled: false,
      settle: (end) => {
        if (slot.settled) return;
        slot.settled = true;
        settle(end);
      },
    };
    slots.set(step.id, slot);
    const record = journal.steps.get(step.id);
    if (record && isDone(record.state)) slot.settle({ kind: 'skip', reason: `already ${record.state}` });
  }

  const list = new Listr(
    // listr2 writes to the terminal itself, past Output: every text handed to it is made inert here.
    steps.map((step) => ({
      title: neutralise(`${step.id}: ${step.title}`),
      task: async (_ctx: unknown, task: { output: string; title: string; skip(message?: string): void }) => {
        const slot = slots.get(step.id) as Slot;
        slot.output = (line) => {
          task.output = neutralise(line);
        };
        const end = await (ends.get(step.id) as Promise<StepEnd>);
        if (end.kind === 'skip') task.skip(neutralise(`${step.id}: ${end.reason}`));
        if (end.kind === 'fail') throw new Error(neutralise(`${step.id}: ${end.reason}`));
        if (end.kind === 'ok' && end.title) task.title = neutralise(end.title);
      },
      rendererOptions: { outputBar: 5, persistentOutput: false },
    })),
    // No SIGINT handler of listr2's own: it would process.exit(127) past the session's Ctrl-C handling (journal step.interrupted, stop the child, exit 130).
    { concurrent: false, exitOnError: false, registerSignalListeners: false, rendererOptions: { timer: PRESET_TIMER, collapseErrors: false } },
  );
  const running = list.run().catch(() => undefined);

  const reporter: Reporter = {
    notify(notice: EngineNotice) {
      if (notice.kind === 'output') {
        slots.get(notice.step)?.output?.(notice.line);
        return;
      }
      // A check retried with retryFor says how it is going (attempt, last result, time left).
      if (notice.kind === 'info' && notice.step) {
        const slot = slots.get(notice.step);
        if (slot && !slot.settled) slot.output?.(notice.message);
        return;
      }
      if (notice.kind !== 'event' || !notice.event.step) return;
      const slot = slots.get(notice.event.step);
      if (!slot) return;
      const event = notice.event;
      switch (event.type) {
        case 'step.succeeded':
          slot.settle({
            kind: 'ok',
            title: event.data.recovered
              ? `${event.step}: recovered (${event.data.traffic ? 'weights already applied' : 'verify passed'} after an interruption)`
              : undefined,
          });
          return;
        case 'step.skipped':
          slot.settle({ kind: 'skip', reason: event.data.reason });
          return;
        case 'step.failed':
          slot.settle({ kind: 'fail', reason: `${event.data.phase} failed: ${event.data.reason}` });
          return;
        case 'step.interrupted':
          slot.settle({ kind: 'fail', reason: `interrupted: ${event.data.reason}` });
          return;
        case 'rollback.succeeded':
          slot.output?.('rolled back');
          return;
        case 'rollback.failed':
          slot.output?.(`rollback failed: ${event.data.reason}`);
          return;
        default:
          return;
      }
    },
  };

  return {
    reporter,
    async finish(reason) {
      for (const slot of slots.values()) slot.settle({ kind: 'skip', reason });
      await running;
    },
  };
}
