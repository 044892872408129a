/**
 * Reads an S3 journal straight out of the fake's model, whatever its layout (the segmented
 * one of src/journal/s3-layout.ts, or a single object), without the SDK: for assertions.
 */
import { parseManifest, segmentKey, snapshotKey } from '../../src/journal/s3-layout.js';
import type { S3Model } from './model.js';

/** The journal's text, or undefined when there is no object at `key`. */
export function journalText(model: S3Model, bucket: string, key: string): string | undefined {
  const object = model.object(bucket, key);
  if (!object) return undefined;
  const manifest = parseManifest(object.body);
  if (!manifest) return object.body.toString('utf8');
  if ('newer' in manifest) throw new Error(`s3://${bucket}/${key}: a manifest of a newer format`);
  let text = manifest.snapshot === null ? '' : (model.object(bucket, snapshotKey(key, manifest.snapshot))?.body.toString('utf8') ?? '');
  for (let n = (manifest.snapshot ?? 0) + 1; ; n += 1) {
    const segment = model.object(bucket, segmentKey(key, n));
    if (!segment) return text;
    text += segment.body.toString('utf8');
  }
}

/** True for the journal's own objects: the manifest (or single object), its segments and snapshots; not the lease. */
export function isJournalObject(journalKey: string, key: string): boolean {
  return key === journalKey || key.startsWith(`${journalKey}.d/`);
}
