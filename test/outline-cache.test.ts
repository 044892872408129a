import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envNamesIn, outlineKey, readOutline, writeOutline } from '../src/runbook/outline-cache.js';

const outline = { name: 'rb', file: 'rb.yaml', steps: [{ id: 'a', title: 'A', digest: 'sha256:1' }] };
const text = 'cutover: 1\nname: rb\nsteps:\n  - id: a\n    run: echo ${env.TOKEN}\n    rollback: "true"\n';

describe('runbook outline cache', () => {
  it('hits for the same text, overrides and environment values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outline-'));
    const key = outlineKey(text, { vars: [] });
    writeOutline(dir, key, text, { TOKEN: 's3cr3t-value' }, outline);
    expect(readOutline(dir, key, { TOKEN: 's3cr3t-value' })).toEqual(outline);
  });

  it('misses when a referenced environment value, the text or the overrides change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outline-'));
    const key = outlineKey(text, { vars: [] });
    writeOutline(dir, key, text, { TOKEN: 'one' }, outline);
    expect(readOutline(dir, key, { TOKEN: 'two' })).toBeUndefined();
    expect(readOutline(dir, key, {})).toBeUndefined();
    expect(outlineKey(`${text}#`, { vars: [] })).not.toBe(key);
    expect(outlineKey(text, { vars: ['x=1'] })).not.toBe(key);
  });

  it('never writes an environment value, and the file is private', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outline-'));
    const key = outlineKey(text, {});
    writeOutline(dir, key, text, { TOKEN: 's3cr3t-value' }, outline);
    const [file] = readdirSync(dir);
    const path = join(dir, file as string);
    expect(readFileSync(path, 'utf8')).not.toContain('s3cr3t-value');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(envNamesIn(text)).toEqual(['TOKEN']);
  });
});
