/**
 * Reads a file, but never more than `maxBytes` + 1 of it: `--vars-file /dev/zero` or a
 * runbook path pointing at a device must be refused quickly, not read into memory until it
 * runs out.
 */
import { open } from 'node:fs/promises';

export type CappedRead = { ok: true; bytes: Buffer } | { ok: false; tooLarge: true };

export async function readCapped(file: string, maxBytes: number): Promise<CappedRead> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return { ok: true, bytes: Buffer.concat(chunks, total) };
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { ok: false, tooLarge: true };
    }
  } finally {
    await handle.close();
  }
}
