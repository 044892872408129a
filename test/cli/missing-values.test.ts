/** The "no value" message names the way that works: --var for a string, a --vars-file for a list. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitError } from '../../src/cli/exit.js';
import type { Output } from '../../src/cli/output.js';
import { loadOrExit, missingValuesMessage } from '../../src/cli/runbook-options.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cutover-missing-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('missing values', () => {
  it.each([
    [
      ['zone'],
      [],
      'no value for variable "zone", which this command needs; pass --var zone=… (or put it in a --vars-file), or give it a default under "vars:"',
    ],
    [
      ['shards'],
      ['shards'],
      'no value for variable "shards", which this command needs; put "shards" in a --vars-file (shards: [a, b]; --var cannot set a list, it sets a string), or give it a default under "vars:"',
    ],
    [
      ['zone', 'shards', 'listener'],
      ['shards'],
      'no value for variables "listener", "shards", "zone", which this command needs; pass --var listener=… --var zone=… (or put them in a --vars-file), put "shards" in a --vars-file (shards: [a, b]; --var cannot set a list, it sets a string), or give them a default under "vars:"',
    ],
  ])('%j (lists %j)', (names, lists, message) => {
    expect(missingValuesMessage(names, lists)).toBe(message);
  });

  it('a foreach list var without a value: the command suggests a --vars-file, not --var', async () => {
    const file = path.join(dir, 'rb.yaml');
    writeFileSync(
      file,
      'cutover: 1\nname: t\nvars:\n  shards: {}\n  zone: {}\nsteps:\n  - id: s-${shard}\n    foreach: { shard: "${shards}" }\n    run: echo ${shard} ${zone}\n    rollback: echo undo\n',
    );
    const lines: string[] = [];
    const output = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), color: false } as unknown as Output;
    const error = await loadOrExit(file, {}, output).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).message).toContain('pass --var zone=… (or put it in a --vars-file), put "shards" in a --vars-file (shards: [a, b]');
    expect((error as ExitError).message).not.toContain('--var shards');
    expect(lines.join('\n')).toContain('variable "shards" has no value; it is a list, which --var cannot set: put it in a --vars-file');
  });
});
