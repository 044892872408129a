/** Which command lines take the commander-free `status` path (src/cli/fast-status.ts). */
import { describe, expect, it } from 'vitest';
import { plainStatusArgs } from '../src/cli/fast-status.js';

describe('plain status arguments', () => {
  it('takes status <runbook>, with --json and --no-color in any order', () => {
    expect(plainStatusArgs(['status', 'rb.yaml'])).toEqual({ file: 'rb.yaml', json: false, color: true });
    expect(plainStatusArgs(['status', '--json', 'rb.yaml', '--no-color'])).toEqual({ file: 'rb.yaml', json: true, color: false });
  });

  it('leaves everything else to commander (options, help, mistakes)', () => {
    for (const args of [['status'], ['status', '--help'], ['status', '--journal', 'j', 'rb.yaml'], ['status', 'a.yaml', 'b.yaml'], ['status', '--check', 'rb.yaml'], ['log', 'rb.yaml'], ['status', '-x']]) {
      expect(plainStatusArgs(args), args.join(' ')).toBeUndefined();
    }
  });
});
