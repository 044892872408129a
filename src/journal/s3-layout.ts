/**
 * Where the objects of a segmented S3 journal live, and its manifest. Pure (no SDK).
 *
 *   <key>                                   the manifest: which snapshot readers start from
 *   <key>.d/segments/000000000001.jsonl     one per append (one or more complete lines)
 *   <key>.d/snapshots/000000000100.jsonl    the whole journal through segment 100
 *   <key>.lock                              the lease (s3-lease.ts)
 *
 * Segment numbers start at 1 and have no gaps; each segment is created once, with
 * `If-None-Match: *`, and never rewritten or deleted. Snapshot N holds exactly the lines of
 * every segment up to N (snapshot 0: a journal migrated from the single-object layout), so
 * the journal is the newest snapshot followed by the segments after it. Numbers are
 * zero-padded to 12 digits so that S3's key order is their numeric order (ListObjectsV2
 * `StartAfter` then lists only newer segments).
 */
import { parseJsonObject } from '../support/json-object.js';

export const MANIFEST_FORMAT = 'cutover.s3-journal';
export const MANIFEST_VERSION = 1;

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** Tells two journals created at the same key apart (and two racing creators). */
  id: string;
  /** The newest snapshot; null before the first compaction. */
  snapshot: number | null;
  createdAt?: string;
  createdBy?: string;
  /** For whoever opens the object by hand. */
  note?: string;
}

const DIGITS = 12;

function pad(n: number): string {
  return String(n).padStart(DIGITS, '0');
}

export function segmentsPrefix(journalKey: string): string {
  return `${journalKey}.d/segments/`;
}

export function segmentKey(journalKey: string, n: number): string {
  return `${segmentsPrefix(journalKey)}${pad(n)}.jsonl`;
}

export function snapshotKey(journalKey: string, n: number): string {
  return `${journalKey}.d/snapshots/${pad(n)}.jsonl`;
}

/** The segment number of a listed key; undefined for anything that is not a segment name. */
export function segmentNumberOf(journalKey: string, key: string): number | undefined {
  const prefix = segmentsPrefix(journalKey);
  if (!key.startsWith(prefix)) return undefined;
  const match = /^(\d{12})\.jsonl$/.exec(key.slice(prefix.length));
  if (!match) return undefined;
  const n = Number(match[1]);
  return n > 0 ? n : undefined;
}

export function encodeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest)}\n`, 'utf8');
}

export function newManifest(id: string, createdAt: string, createdBy: string | undefined, snapshot: number | null, journalKey: string): Manifest {
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id,
    snapshot,
    createdAt,
    ...(createdBy !== undefined ? { createdBy } : {}),
    note: `a cutover journal split into objects under ${journalKey}.d/ (docs/s3-journal.md); read it with "cutover log" or "cutover journal pull"`,
  };
}

/**
 * The manifest, `undefined` when the object is not one (a journal in the single-object
 * layout: its first line is an event), or `{ newer }` for a manifest of a later format.
 */
export function parseManifest(body: Buffer): Manifest | { newer: number } | undefined {
  // A journal's first line starts with {"v":…; only a manifest starts like this.
  if (!body.subarray(0, 40).toString('utf8').startsWith(`{"format":"${MANIFEST_FORMAT}"`)) return undefined;
  const value = parseJsonObject(body.toString('utf8'));
  if (!value || value.format !== MANIFEST_FORMAT) return undefined;
  if (value.version !== MANIFEST_VERSION) return { newer: typeof value.version === 'number' ? value.version : Number.NaN };
  const snapshot = value.snapshot;
  if (typeof value.id !== 'string' || !(snapshot === null || (typeof snapshot === 'number' && Number.isInteger(snapshot) && snapshot >= 0)))
    return { newer: Number.NaN };
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id: value.id,
    snapshot,
    ...(typeof value.createdAt === 'string' ? { createdAt: value.createdAt } : {}),
    ...(typeof value.createdBy === 'string' ? { createdBy: value.createdBy } : {}),
    ...(typeof value.note === 'string' ? { note: value.note } : {}),
  };
}
