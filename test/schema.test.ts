/**
 * The shipped JSON Schema is generated: it must equal what `cutover schema` prints, so
 * editors never validate against a stale copy. Regenerate with:
 *   node bin/cutover schema > schema/runbook.schema.json
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunbookFile } from '../src/runbook/load.js';
import { runbookJsonSchema } from '../src/runbook/schema.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('schema/runbook.schema.json', () => {
  it('is exactly the output of `cutover schema`', () => {
    const shipped = readFileSync(path.join(root, 'schema', 'runbook.schema.json'), 'utf8');
    expect(shipped).toBe(`${JSON.stringify(runbookJsonSchema(), null, 2)}\n`);
  });

  it('is a draft 2020-12 schema of a mapping with the required keys', () => {
    const schema = runbookJsonSchema();
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'cutover runbook',
      type: 'object',
      additionalProperties: false,
    });
    expect(schema.required).toEqual(expect.arrayContaining(['cutover', 'name', 'steps']));
  });
});

const runbooksDir = path.join(root, 'runbooks');
const shippedRunbooks = [
  path.join(root, 'examples', 'quickstart.yaml'),
  ...(existsSync(runbooksDir)
    ? readdirSync(runbooksDir)
        .filter((name) => /\.ya?ml$/.test(name))
        .map((name) => path.join(runbooksDir, name))
    : []),
];

describe('shipped runbooks validate', () => {
  it.each(shippedRunbooks.map((file) => [path.relative(root, file), file]))('%s', async (_name, file) => {
    // The templates in runbooks/ promise a verify on every step: --strict.
    const result = await loadRunbookFile(file, { mode: 'validate', env: {}, strict: file.startsWith(runbooksDir) });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('examples/quickstart.yaml points its editor at the shipped schema', () => {
    const first = readFileSync(path.join(root, 'examples', 'quickstart.yaml'), 'utf8').split('\n')[0] ?? '';
    const target = /\$schema=(\S+)/.exec(first)?.[1];
    expect(target).toBeDefined();
    expect(existsSync(path.join(root, 'examples', target as string))).toBe(true);
  });
});
