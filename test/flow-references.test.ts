import { describe, expect, it } from 'vitest';
import { loadRunbookText } from '../src/runbook/load.js';
import { unquotedFlowReferences } from '../src/runbook/flow-references.js';

const runbook = (run: string) => `cutover: 1
name: t
vars:
  zone: Z1
steps:
  - id: dns
    run: ${run}
    rollback: none
    irreversible: only a test
`;

describe('an unquoted ${var} in a flow collection', () => {
  it("gets one message that says to quote it, instead of the YAML parser's cascade", () => {
    const result = loadRunbookText('rb.yaml', runbook('{ route53: { zone: ${zone}, name: app.example.com, weights: { a: 1, b: 0 } } }'), { env: {} });
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      {
        file: 'rb.yaml',
        line: 7,
        col: 29,
        severity: 'error',
        rule: 'unquoted-reference',
        message:
          '${zone} starts a value inside { … } or [ … ] without quotes, so YAML reads its "{" as the start of a mapping (the errors that would follow all come from this); quote the value: "${zone}"',
      },
    ]);
  });

  it.each([
    ['quoted in a flow mapping', '{ route53: { zone: "${zone}", name: app.example.com, weights: { a: 1, b: 0 } } }'],
    ['in a block value', 'echo ${zone}'],
    ['inside a flow value, not at its start', '{ exec: [echo, "x", z-${zone}] }'],
  ])('leaves alone a reference %s', (_, run) => {
    expect(unquotedFlowReferences(runbook(run))).toEqual([]);
  });

  it('finds each one in a list, and none in comments or quotes', () => {
    expect(unquotedFlowReferences("a: [${x}, '${y}', ${z}] # { b: ${c} }\n")).toEqual([
      { line: 1, col: 5, text: '${x}' },
      { line: 1, col: 19, text: '${z}' },
    ]);
  });
});
