/**
 * Everything a mutating command needs around the engine: the runbook, the lock, the
 * journal, the operator, signals. The lock is released on every exit path.
 */
import type { EngineContext } from '../engine/context.js';
import { realProcessTable } from '../engine/context.js';
import { approvalCheck } from '../engine/approvals.js';
import type { ApprovalScope } from '../engine/approvals.js';
import { nonInteractiveOperator } from '../engine/operator.js';
import { settleNotifications } from '../engine/notify.js';
import type { NonInteractiveOptions, Operator } from '../engine/operator.js';
import { openJournal } from '../journal/journal.js';
import type { Journal } from '../journal/journal.js';
import { defaultLogDir, stateDirOf } from '../journal/paths.js';
import { systemClock } from '../support/clock.js';
import { currentIdentity, describeIdentity } from '../support/identity.js';
import { createMasker } from '../support/mask.js';
import { ExitCode, ExitError } from './exit.js';
import { tornLineWarnings } from './journal-reading.js';
import { journalTargetFor, lockJournal, recordTakeover } from './journal-backend.js';
import { interactiveOperator } from './interactive-operator.js';
import type { Output } from './output.js';
import { startLiveList } from './listr-reporter.js';
import { jsonReporter, lineReporter } from './render-events.js';
import { replay } from '../journal/replay.js';
import { loadOrExit } from './runbook-options.js';
import { cacheOutline } from './outline.js';
import { hintFor } from './hint.js';
import { awsFor, awsSettingsFor, unknownProfile } from './aws-setup.js';
import type { AwsFlags } from './aws-setup.js';
import type { RunbookFlags } from './runbook-options.js';

export interface SessionFlags extends RunbookFlags, AwsFlags {
  journal?: string;
  yes?: boolean;
  force?: boolean;
}

/** Prompts only with a person at a terminal: not with --yes, --json, CI=true or without a TTY. */
export function isInteractive(flags: SessionFlags): boolean {
  return !flags.yes && !flags.json && process.env.CI !== 'true' && process.stdin.isTTY === true && process.stderr.isTTY === true;
}

export interface SessionOptions {
  command: string;
  operator?: Omit<NonInteractiveOptions, 'approved'>;
  /** Unattended, a manual step approved in the journal (cutover approve) counts as done: per attempt (run) or per rehearsal. */
  approvals?: ApprovalScope;
  /** resume: refuse when there is no journal yet. */
  requireJournal?: boolean;
  /** run/resume: a listr2 task list when unattended at a terminal. */
  liveList?: boolean;
  /** The journal when there is no --journal (default: .cutover/<name>.journal.jsonl); rehearse has its own. */
  defaultJournalPath?: (runbookName: string, stateDir: string) => string;
  /** false: the runbook's notify: webhooks are not told (rehearse: nothing real happens). */
  notify?: boolean;
  /** approve: a command that reads the runbook only, so vars that steps use may have no value (runbook-options.ts). */
  readOnly?: boolean;
}

export async function withSession<T>(
  file: string,
  flags: SessionFlags,
  output: Output,
  options: SessionOptions,
  body: (ctx: EngineContext, journal: Journal) => Promise<T>,
): Promise<T> {
  const runbook = await loadOrExit(file, flags, output, options.readOnly ? 'read' : 'resolve');
  const masker = createMasker(runbook.secrets.values);
  const identity = currentIdentity();
  const ownDefault = !flags.journal && options.defaultJournalPath;
  const target = journalTargetFor(runbook, flags, options.defaultJournalPath);
  // Copied as it is: the same journal, variables and AWS settings (hint.ts).
  const hint = hintFor(file, { ...flags, journal: ownDefault || flags.journal ? target.location : undefined }, masker.text);
  const unlockCommand = hint('unlock');
  // Before the lock: an S3 journal is the first AWS call.
  const noProfile = await unknownProfile(flags, runbook, process.env, { s3Journal: target.kind === 's3' });
  if (noProfile) throw new ExitError(ExitCode.invalid, noProfile);
  const { lease: lock, store } = await lockJournal(target, {
    identity,
    command: options.command,
    clock: systemClock,
    unlockCommand,
    aws: awsSettingsFor(flags, runbook, process.env),
    onLost: (message) => output.err(`cutover: ${message}`),
    onWarning: (message) => output.err(`warning: ${message}`),
  });
  const releaseOnExit = () => lock.releaseSync();
  await cacheOutline(runbook, file, flags);
  process.once('exit', releaseOnExit);

  // First signal: forward it to the running step and stop; second: kill the step's group.
  const controller = new AbortController();
  const forceKill = new AbortController();
  // Children of steps and checks running now: "the running step" only when there is one (not during a bake wait).
  let children = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      output.err(`\n${signal}: ${children > 0 ? 'stopping the running step (press Ctrl-C again to kill it)' : 'stopping'}…`);
      controller.abort(signal);
    } else {
      forceKill.abort(signal);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal went away (an ssh session dropped): stop like SIGTERM, journaled, lock released.
  process.on('SIGHUP', onSignal);
  try {
    const journal = await openJournal(store, { runbook: { name: runbook.name, file: runbook.file }, identity, masker, clock: systemClock });
    for (const line of tornLineWarnings(journal, true)) output.err(line);
    if (options.requireJournal && !journal.exists) {
      throw new ExitError(ExitCode.invalid, `no journal at ${journal.location}: nothing to resume; start with "${hint('run')}"`);
    }
    if (lock.takeover) await recordTakeover(journal, lock.takeover, (line) => output.err(line));
    const state = replay(journal.events);
    // Set below, once the context exists: the operator's preview reads traffic through it.
    const aws: Pick<EngineContext, 'traffic'> = {};
    const approved = options.approvals ? { approved: approvalCheck(state, options.approvals) } : {};
    const operator: Operator = isInteractive(flags)
      ? interactiveOperator(output, masker, describeIdentity(identity), {
          // "Show details": plan's live diff, read with this session's AWS clients.
          preview: async (step) => {
            const traffic = aws.traffic;
            if (!traffic) return undefined;
            const { previewForward } = await import('../engine/traffic-preview.js');
            return (await previewForward([step], traffic, controller.signal)).get(step.id);
          },
        })
      : nonInteractiveOperator({ ...options.operator, ...approved });
    const live =
      options.liveList && !flags.json && !operator.interactive && process.stderr.isTTY === true ? await startLiveList(runbook.steps, state) : undefined;
    const baseReporter = live?.reporter ?? (flags.json ? jsonReporter(output) : lineReporter(output, { showOutput: true }));
    const { actions } = await import('../actions/index.js');
    const ctx: EngineContext = {
      runbook,
      journal,
      operator,
      reporter: baseReporter,
      actions,
      clock: systemClock,
      signal: controller.signal,
      forceKill: forceKill.signal,
      cwd: process.cwd(),
      env: process.env,
      logDir: defaultLogDir(stateDirOf(runbook.file)),
      masker,
      host: identity.host,
      processes: realProcessTable,
      onChild: (change) => {
        children = Math.max(0, children + (change === 'spawned' ? 1 : -1));
      },
      ...awsFor(flags, runbook, systemClock, (line) => baseReporter.notify({ kind: 'info', message: line })),
      force: flags.force === true,
      ...(options.notify === false || !runbook.notify ? {} : { webhooks: (await import('../actions/webhook.js')).fetchWebhooks }),
    };
    aws.traffic = ctx.traffic;
    try {
      return await body(ctx, journal);
    } finally {
      // Deliveries still running journal their outcome while the lock is held (bounded by their timeouts).
      await settleNotifications(ctx);
      await live?.finish('not run');
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await lock.release();
    process.off('exit', releaseOnExit);
  }
}
