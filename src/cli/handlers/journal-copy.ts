/**
 * `cutover journal push <runbook> s3://…` and `cutover journal pull <runbook> s3://…`: copy a
 * journal between a local file and S3, byte for byte, so a migration started on a laptop can
 * move to CI (and back). The copy is verified (the hash chain, and that it is this runbook's
 * journal) before anything is written, and it never replaces a journal that is not an
 * earlier state of the one copied: a destination that diverged is refused.
 *
 * push holds the local lock and the S3 lease while it copies, and writes only what the S3
 * journal lacks, as one new segment; pull holds the local lock and only reads S3
 * (s3:GetObject, s3:ListBucket). Either way the bytes are those of the local file format.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { lazyAwsClients } from '../../aws/clients.js';
import { verifyChain } from '../../journal/chain.js';
import { JournalError } from '../../journal/errors.js';
import { ioError } from '../../journal/io-error.js';
import type { Lease } from '../../journal/lease.js';
import { acquireFileLease } from '../../journal/lease.js';
import { isS3Url } from '../../journal/s3-url.js';
import type { Runbook } from '../../runbook/types.js';
import { systemClock } from '../../support/clock.js';
import { currentIdentity, describeIdentity } from '../../support/identity.js';
import type { AwsFlags } from '../aws-setup.js';
import { ExitCode, ExitError } from '../exit.js';
import { journalAwsSettings, targetOf } from '../journal-backend.js';
import type { JournalTarget } from '../journal-backend.js';
import { defaultJournalPath, stateDirOf } from '../../journal/paths.js';
import { hintFor } from '../hint.js';
import type { Output } from '../output.js';
import { loadOrExit } from '../runbook-options.js';
import type { RunbookFlags } from '../runbook-options.js';

export interface JournalCopyFlags extends RunbookFlags, AwsFlags {
  /** The local journal (default: the runbook's `journal:` when it is a path, else .cutover/<name>.journal.jsonl). */
  journal?: string;
}

type S3Target = Extract<JournalTarget, { kind: 's3' }>;
type FileTarget = Extract<JournalTarget, { kind: 'file' }>;

export async function pushJournal(file: string, url: string, flags: JournalCopyFlags, output: Output): Promise<void> {
  const { runbook, local, remote } = await endsOf(file, url, flags, output, 'push');
  const { acquireS3Lease } = await import('../../journal/s3-lease.js');
  const { S3JournalStore } = await import('../../journal/s3-store.js');
  const identity = currentIdentity();
  const client = await lazyAwsClients(journalAwsSettings(flags, runbook)).s3();
  await withLease(
    () =>
      acquireFileLease(local.path, {
        identity,
        command: 'journal push',
        clock: systemClock,
        unlockCommand: hintFor(file, { ...flags, journal: local.path })('unlock'),
      }),
    async () => {
      const text = await readLocal(local.path);
      if (text === undefined)
        throw new ExitError(ExitCode.invalid, `no journal at ${local.path}: nothing to push (choose the local journal with --journal PATH)`);
      const events = verifiedOrExit(text, local.path, runbook);
      if (!text.endsWith('\n'))
        throw new ExitError(
          ExitCode.invalid,
          `refused, nothing was copied: the last line of ${local.path} has no newline; run a cutover command against it first (it adds the newline), then push`,
        );
      await withLease(
        () =>
          acquireS3Lease(client, remote.s3, {
            identity,
            command: 'journal push',
            clock: systemClock,
            unlockCommand: hintFor(file, { ...flags, journal: url })('unlock'),
          }),
        async (lease) => {
          const store = new S3JournalStore(client, remote.s3, {
            beforeWrite: () => lease.assertHeld(),
            writer: describeIdentity(identity),
            lease: { ...(lease.id ? { id: lease.id } : {}), holder: lease.holder },
          });
          const existingText = await readRemote(store);
          if (existingText === text) {
            output.err(`${url} already holds this journal (${events} events); nothing to copy.`);
            return;
          }
          if (existingText !== undefined) {
            refuseUnlessEarlierState(existingText, text, url, local.path, 'push');
            if (!existingText.endsWith('\n'))
              throw new ExitError(
                ExitCode.invalid,
                `refused, nothing was copied: the last line of ${url} has no newline; run a cutover command against it first (it repairs it), then push`,
              );
          }
          // Only what the destination does not have yet, as one new segment (one PutObject, If-None-Match: *).
          await store.appendText(text.slice(existingText?.length ?? 0));
          const check = await readRemote(new S3JournalStore(client, remote.s3));
          const bytes = Buffer.byteLength(text, 'utf8');
          if (check !== text)
            throw new ExitError(
              ExitCode.invalid,
              `${url} does not hold what was written (read back ${Buffer.byteLength(check ?? '', 'utf8')} bytes, wrote ${bytes}); run the push again`,
            );
          output.err(
            `pushed ${events} events (${bytes} bytes) from ${local.path} to ${url}. From now on run with --journal ${url} (or set "journal: ${url}" in the runbook); the local copy stays as it was, do not continue there.`,
          );
        },
      );
    },
  );
}

export async function pullJournal(file: string, url: string, flags: JournalCopyFlags, output: Output): Promise<void> {
  const { runbook, local, remote } = await endsOf(file, url, flags, output, 'pull');
  const { S3JournalStore } = await import('../../journal/s3-store.js');
  const identity = currentIdentity();
  const client = await lazyAwsClients(journalAwsSettings(flags, runbook)).s3();
  const text = await readRemote(new S3JournalStore(client, remote.s3));
  if (text === undefined) throw new ExitError(ExitCode.invalid, `no journal at ${url}: nothing to pull`);
  const body = Buffer.from(text, 'utf8');
  const events = verifiedOrExit(text, url, runbook);
  await withLease(
    () =>
      acquireFileLease(local.path, {
        identity,
        command: 'journal pull',
        clock: systemClock,
        unlockCommand: hintFor(file, { ...flags, journal: local.path })('unlock'),
      }),
    async () => {
      const existing = await readLocal(local.path);
      if (existing === text) {
        output.err(`${local.path} already holds this journal (${events} events); nothing to copy.`);
        return;
      }
      if (existing !== undefined) refuseUnlessEarlierState(existing, text, local.path, url, 'pull');
      await writeAtomically(local.path, body);
      output.err(
        `pulled ${events} events (${body.length} bytes) from ${url} to ${local.path}. From now on run with --journal ${local.path}; the S3 copy stays as it was, do not continue there.`,
      );
    },
  );
}

/** The S3 journal's text, whatever its layout; damage found while assembling it (a missing segment) refuses the copy. */
async function readRemote(store: { readText(): Promise<string | undefined> }): Promise<string | undefined> {
  try {
    return await store.readText();
  } catch (error) {
    if (error instanceof JournalError && error.kind === 'damaged') throw new ExitError(ExitCode.invalid, `refused, nothing was copied: ${error.message}`);
    throw error;
  }
}

async function endsOf(
  file: string,
  url: string,
  flags: JournalCopyFlags,
  output: Output,
  verb: 'push' | 'pull',
): Promise<{ runbook: Runbook; local: FileTarget; remote: S3Target }> {
  const runbook = await loadOrExit(file, flags, output, 'read');
  const remote = targetOf(url);
  if (remote.kind !== 's3')
    throw new ExitError(ExitCode.invalid, `journal ${verb} copies ${verb === 'push' ? 'to' : 'from'} an s3://bucket/key URL, not ${url}`);
  const localText =
    flags.journal ??
    (runbook.journal !== undefined && !isS3Url(runbook.journal)
      ? resolve(dirname(resolve(runbook.file)), runbook.journal)
      : defaultJournalPath(runbook.name, stateDirOf(runbook.file)));
  const local = targetOf(localText);
  if (local.kind !== 'file') throw new ExitError(ExitCode.invalid, `--journal names the local journal of journal ${verb}; ${localText} is not a file path`);
  return { runbook, local, remote };
}

/** Checks the chain and that the journal is this runbook's; returns the number of events. */
function verifiedOrExit(text: string, where: string, runbook: Runbook): number {
  let events;
  try {
    const chain = verifyChain(text);
    if (chain.torn) {
      throw new JournalError(
        'damaged',
        `line ${chain.torn.line} was cut off mid-write (a crash)`,
        'run a cutover command against it first (it repairs the journal), then copy it',
        chain.torn.line,
      );
    }
    events = chain.events;
  } catch (error) {
    if (error instanceof JournalError) throw new ExitError(ExitCode.invalid, `refused, nothing was copied: ${error.at(where).message}`);
    throw error;
  }
  const first = events[0];
  if (first?.type === 'journal.created' && first.data.runbook !== runbook.name) {
    throw new ExitError(ExitCode.invalid, `refused, nothing was copied: ${where} is the journal of runbook ${first.data.runbook}, not ${runbook.name}`);
  }
  return events.length;
}

/** The destination may only be replaced by a journal that continues it (it is a prefix of the copy). */
function refuseUnlessEarlierState(destination: string, copy: string, destinationName: string, sourceName: string, verb: 'push' | 'pull'): void {
  if (copy.startsWith(destination)) return;
  const other = verb === 'push' ? `pull it first ("cutover journal pull")` : 'push it first, or move it away';
  throw new ExitError(
    ExitCode.invalid,
    `refused, nothing was copied: ${destinationName} already holds a journal that is not an earlier state of ${sourceName} (the two have diverged, or belong to different migrations); compare them with "cutover log", then ${other}, or choose another ${verb === 'push' ? 'key' : 'path with --journal'}`,
  );
}

async function withLease<T>(acquire: () => Promise<Lease>, body: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = await acquire();
  const releaseOnExit = () => lease.releaseSync();
  process.once('exit', releaseOnExit);
  try {
    return await body(lease);
  } finally {
    await lease.release();
    process.off('exit', releaseOnExit);
  }
}

async function readLocal(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(error, 'read the journal', path);
  }
}

/** A temp file in the same directory, fsync'ed, renamed over the journal (mode 0600), then the directory fsync'ed. */
async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    handle = await open(temp, 'wx', 0o600);
    await handle.chmod(0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
    const dirHandle = await open(dir, 'r');
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw ioError(error, 'write the journal', path);
  }
}
