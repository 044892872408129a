// Needs dist/ (npm test builds before vitest).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderHelp } from '../src/cli/render-help.js';

const bin = new URL('../bin/cutover', import.meta.url).pathname;

describe('pre-rendered --help', () => {
  it('is what commander prints for the current command tree', () => {
    const shipped = readFileSync(new URL('../dist/cli/help.txt', import.meta.url), 'utf8');
    expect(shipped).toBe(renderHelp());
  });

  it('is printed for --help and -h, and equals `cutover help`', () => {
    const fast = execFileSync('node', [bin, '--help'], { encoding: 'utf8' });
    expect(execFileSync('node', [bin, '-h'], { encoding: 'utf8' })).toBe(fast);
    expect(execFileSync('node', [bin, 'help'], { encoding: 'utf8' })).toBe(fast);
    expect(fast).toContain('Examples:');
  });

  it('survives a reader that closes the pipe early', () => {
    const out = execFileSync('sh', ['-c', `node ${bin} plan --help | head -1; echo "rc=$?"`], { encoding: 'utf8' });
    expect(out).toContain('Usage: cutover plan');
    expect(out).not.toContain('EPIPE');
  });
});
