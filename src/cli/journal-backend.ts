/**
 * Where a command's journal lives and how it is opened: a local file with its O_EXCL lock
 * file, or an S3 object with its lease. The S3 modules (and the SDK) are imported only for
 * s3:// journals, so local runs and `--help` never load them.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { lazyAwsClients, mergeAwsSettings } from '../aws/clients.js';
import type { AwsSettings } from '../aws/clients.js';
import type { Journal } from '../journal/journal.js';
import type { Lease, Takeover } from '../journal/lease.js';
import { defaultJournalPath, legacyJournalPath, stateDirOf } from '../journal/paths.js';
import { isS3Url, parseS3Url } from '../journal/s3-url.js';
import type { S3Location } from '../journal/s3-url.js';
import type { JournalStore } from '../journal/store.js';
import type { Clock } from '../support/clock.js';
import type { Identity } from '../support/identity.js';
import { describeIdentity } from '../support/identity.js';
import { ExitCode, ExitError } from './exit.js';

export type JournalTarget = { kind: 'file'; path: string; location: string } | { kind: 's3'; s3: S3Location; location: string };

export interface JournalTargetFlags {
  journal?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** What the runbook says about its journal and AWS (a loaded runbook, or status's cached outline). */
export interface JournalRunbook {
  name: string;
  /** The runbook file (as given): the default journal and a relative `journal:` live next to it. */
  file: string;
  journal?: string;
  aws?: { region?: string; profile?: string; endpointUrl?: string };
}

/**
 * `--journal` (relative to where cutover runs), else the command's own default (rehearse
 * never writes the production journal), else the runbook's `journal:` (a path relative to
 * the runbook file), else `.cutover/<name>.journal.jsonl` next to the runbook. The working
 * directory never changes which journal a runbook uses.
 */
export function journalTargetFor(
  runbook: JournalRunbook,
  flags: { journal?: string },
  ownDefault?: (runbookName: string, stateDir: string) => string,
  cwd = process.cwd(),
): JournalTarget {
  if (flags.journal !== undefined) return targetOf(flags.journal);
  const stateDir = stateDirOf(runbook.file);
  if (ownDefault) return targetOf(ownDefault(runbook.name, stateDir));
  if (runbook.journal !== undefined)
    return isS3Url(runbook.journal) || /^[a-z][a-z0-9+.-]*:\/\//i.test(runbook.journal)
      ? targetOf(runbook.journal)
      : targetOf(resolve(dirname(resolve(runbook.file)), runbook.journal));
  const path = defaultJournalPath(runbook.name, stateDir);
  refuseLegacyJournal(runbook, path, cwd);
  return targetOf(path);
}

/**
 * Before the default journal moved next to the runbook it lived in `.cutover/` of the
 * working directory. A journal left there must not be silently replaced by a new, empty one
 * (a new journal has nothing for the drift guard to compare with): stop and say how to move it.
 */
function refuseLegacyJournal(runbook: JournalRunbook, path: string, cwd: string): void {
  const legacy = legacyJournalPath(runbook.name, cwd);
  if (legacy === path || existsSync(path) || !existsSync(legacy)) return;
  throw new ExitError(
    ExitCode.invalid,
    `${legacy} holds a journal of runbook "${runbook.name}", but the default journal now lives next to the runbook, at ${path}. Move it there (mv ${legacy} ${path}, with no cutover running), or name it with --journal ${legacy}; nothing was done`,
  );
}

export const EMPTY_JOURNAL =
  "--journal is empty; give a journal file path or an s3://bucket/key URL, or leave --journal out to use the runbook's journal (default .cutover/<name>.journal.jsonl)";

/** A path or s3:// URL given on the command line; exit 2 for a malformed URL. */
export function targetOf(text: string): JournalTarget {
  // resolve('') is the working directory, which would then be reported as "a directory".
  if (text.trim() === '') throw new ExitError(ExitCode.invalid, EMPTY_JOURNAL);
  if (!isS3Url(text)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new ExitError(ExitCode.invalid, `${text}: a journal is a file path or an s3:// URL`);
    const path = resolve(text);
    return { kind: 'file', path, location: path };
  }
  try {
    const s3 = parseS3Url(text);
    return { kind: 's3', s3, location: text };
  } catch (error) {
    throw new ExitError(ExitCode.invalid, (error as Error).message);
  }
}

/** Flags, then AWS_ENDPOINT_URL, then the runbook's `aws:` (the same order as traffic steps). */
export function journalAwsSettings(flags: JournalTargetFlags, runbook: JournalRunbook, env: Record<string, string | undefined> = process.env): AwsSettings {
  return mergeAwsSettings({ region: flags.region, profile: flags.profile, endpointUrl: flags.endpointUrl ?? env.AWS_ENDPOINT_URL }, runbook.aws);
}

/** For read-only commands: no lock or lease; an S3 journal needs s3:GetObject only. */
export async function storeForReading(target: JournalTarget, aws: AwsSettings): Promise<JournalStore> {
  if (target.kind === 'file') {
    const { FileJournalStore } = await import('../journal/file-store.js');
    return new FileJournalStore(target.path);
  }
  const { S3JournalStore } = await import('../journal/s3-store.js');
  return new S3JournalStore(await lazyAwsClients(aws).s3(), target.s3);
}

export interface LockJournalOptions {
  identity: Identity;
  command: string;
  clock: Clock;
  unlockCommand: string;
  aws: AwsSettings;
  /** The S3 lease was lost while the command runs. */
  onLost: (message: string) => void;
  onWarning: (message: string) => void;
}

/** Takes the lock (file) or lease (S3); the store refuses to write once an S3 lease is lost. */
export async function lockJournal(target: JournalTarget, options: LockJournalOptions): Promise<{ lease: Lease; store: JournalStore }> {
  const { identity, command, clock, unlockCommand } = options;
  if (target.kind === 'file') {
    const [{ acquireFileLease }, { FileJournalStore }] = await Promise.all([import('../journal/lease.js'), import('../journal/file-store.js')]);
    const lease = await acquireFileLease(target.path, { identity, command, clock, unlockCommand });
    return { lease, store: new FileJournalStore(target.path) };
  }
  const [{ acquireS3Lease }, { S3JournalStore }] = await Promise.all([import('../journal/s3-lease.js'), import('../journal/s3-store.js')]);
  const client = await lazyAwsClients(options.aws).s3();
  const lease = await acquireS3Lease(client, target.s3, { identity, command, clock, unlockCommand, onLost: options.onLost, onWarning: options.onWarning });
  return {
    lease,
    store: new S3JournalStore(client, target.s3, {
      beforeWrite: () => lease.assertHeld(),
      now: () => clock.now(),
      lease: { ...(lease.id ? { id: lease.id } : {}), holder: lease.holder },
      writer: describeIdentity(identity),
      onWarning: options.onWarning,
    }),
  };
}

/** Journals a takeover of an S3 lease (`lock.takeover`) and tells the operator. */
export async function recordTakeover(journal: Journal, takeover: Takeover, say: (line: string) => void): Promise<void> {
  const previous = takeover.previous;
  const previousHolder = previous ? (({ pidns: _pidns, started: _started, ...rest }) => rest)(previous) : undefined;
  const why = takeover.why === 'holder-gone' ? { why: takeover.why } : {};
  await journal.append({
    type: 'lock.takeover',
    data: { lock: takeover.lock, ...(previousHolder ? { previousHolder } : {}), expiredAt: takeover.expiredAt, ...why },
  });
  const who = previous ? `${previous.user}@${previous.host} (pid ${previous.pid}, cutover ${previous.command})` : 'an unnamed holder';
  if (takeover.why === 'holder-gone') {
    say(
      `warning: took over the lease of ${who}: that process is no longer running on this machine (its lease would have run until ${takeover.expiredAt}); journaled as lock.takeover`,
    );
  } else {
    say(
      `warning: took over the lease of ${who}, which expired at ${takeover.expiredAt} without being released (killed, or cut off from S3); journaled as lock.takeover`,
    );
  }
}
