/** Turns a filesystem error into a JournalError that says what to do about it. */
import { JournalError } from './errors.js';

export function ioError(error: unknown, doing: string, path: string): JournalError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const [problem, advice] = explain(code, doing, path, detail);
  return new JournalError('io', problem, advice, undefined, undefined, { cause: error });
}

function explain(code: string | undefined, doing: string, path: string, detail: string): [string, string] {
  switch (code) {
    case 'EISDIR':
      return [`cannot ${doing} ${path}: it is a directory`, 'move the directory away, or choose another journal file with --journal'];
    case 'ENOTDIR':
      return [`cannot ${doing} ${path}: a part of that path is a file, not a directory`, 'fix the path, or choose another journal file with --journal'];
    case 'EACCES':
    case 'EPERM':
      return [
        `cannot ${doing} ${path}: permission denied`,
        'journals are created mode 0600 by whoever ran cutover first: run as that user, or fix the ownership of the file and its directory',
      ];
    case 'EROFS':
      return [`cannot ${doing} ${path}: the file system is read-only`, 'choose a writable location with --journal'];
    case 'ENOSPC':
    case 'EDQUOT':
      return [
        `cannot ${doing} ${path}: no space left on the device`,
        'free some space and run the command again; the journal is intact up to its last complete line',
      ];
    case 'EMFILE':
    case 'ENFILE':
      return [`cannot ${doing} ${path}: too many open files`, 'close other programs or raise the open-file limit, then run the command again'];
    default:
      return [`cannot ${doing} ${path}: ${detail}`, 'fix the cause and run the command again, or choose another journal file with --journal'];
  }
}
