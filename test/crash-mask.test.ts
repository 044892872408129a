/**
 * The top-level catch (src/cli/guarded.ts) masks the loaded runbook's secrets in whatever
 * it prints, an internal error's message and stack included.
 */
import { describe, expect, it } from 'vitest';
import { runGuarded } from '../src/cli/guarded.js';
import { ExitError } from '../src/cli/exit.js';
import { rememberSecrets } from '../src/cli/known-secrets.js';
import { maskedForms } from '../src/runbook/resolve.js';

function capture() {
  const lines: string[] = [];
  return { lines, out: (text: string) => lines.push(text), err: (text: string) => lines.push(text), color: false };
}

describe('the top-level catch masks secrets', () => {
  rememberSecrets(maskedForms("s3cr'et-value"));

  it('in an internal error, its message and its stack', async () => {
    const output = capture();
    const code = await runGuarded(output, async () => {
      const error = new Error("spawn failed for s3cr'et-value");
      error.stack = `Error: spawn failed for s3cr'et-value\n    at run (/x/s3cr'\\''et-value.js:1:1)`;
      throw error;
    });
    expect(code).toBe(70);
    const text = output.lines.join('\n');
    expect(text).toContain('internal error');
    expect(text).toContain('spawn failed for ***');
    expect(text).not.toContain('s3cr');
  });

  it('in an expected ending (ExitError)', async () => {
    const output = capture();
    expect(await runGuarded(output, () => Promise.reject(new ExitError(2, "bad value s3cr'et-value")))).toBe(2);
    expect(output.lines).toEqual(['bad value ***']);
  });
});
