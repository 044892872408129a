/**
 * `s3://bucket/key` journal locations. Pure (no SDK), so the CLI can tell a path from a URL
 * without loading anything.
 */

export interface S3Location {
  bucket: string;
  key: string;
}

/** S3 bucket naming rules (general purpose buckets): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Url(text: string): boolean {
  return text.startsWith('s3://');
}

export function formatS3Url(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** Throws an Error whose message says what is wrong with the URL. */
export function parseS3Url(text: string): S3Location {
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!isS3Url(text) || !BUCKET.test(bucket)) {
    throw new Error(
      `${text} is not an S3 journal URL: write it as s3://bucket/path/to/name.journal.jsonl (bucket names are 3-63 lowercase letters, digits, dots and dashes)`,
    );
  }
  if (key === '' || key.endsWith('/'))
    throw new Error(`${text} names no object: write the journal's key after the bucket, e.g. s3://${bucket}/cutover/name.journal.jsonl`);
  if (key.endsWith('.lock')) throw new Error(`${text}: a journal key may not end in .lock (cutover keeps its lease at <key>.lock)`);
  return { bucket, key };
}

/** The lease object next to the journal. */
export function leaseKeyFor(journalKey: string): string {
  return `${journalKey}.lock`;
}
