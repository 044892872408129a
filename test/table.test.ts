import { describe, expect, it } from 'vitest';
import { renderTable, visibleLength } from '../src/cli/table.js';

const green = (text: string) => `\u001b[32m${text}\u001b[39m`;

describe('renderTable', () => {
  it('pads by the width on screen: colour codes take no columns', () => {
    const table = renderTable(
      ['A', 'STATE', 'C'],
      [
        ['x', green('succeeded'), '1'],
        ['y', 'failed', '2'],
      ],
    );
    // eslint-disable-next-line no-control-regex
    const lines = table.split('\n').map((line) => line.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['A  STATE      C', 'x  succeeded  1', 'y  failed     2']);
    expect(visibleLength(green('ok'))).toBe(2);
  });

  it('drops columns in the order given until the table fits, and no more', () => {
    const rows = [['step-1', 'succeeded', '2026-12-04T17:02:19.596Z', 'root@vm', '1s']];
    const headers = ['STEP', 'STATE', 'WHEN', 'BY', 'DURATION'];
    expect(renderTable(headers, rows, { maxWidth: 200, drop: [3, 2] }).split('\n')[0]).toBe('STEP    STATE      WHEN                      BY       DURATION');
    expect(renderTable(headers, rows, { maxWidth: 55, drop: [3, 2] }).split('\n')[0]).toBe('STEP    STATE      WHEN                      DURATION');
    expect(renderTable(headers, rows, { maxWidth: 30, drop: [3, 2] }).split('\n')).toEqual(['STEP    STATE      DURATION', 'step-1  succeeded  1s']);
  });
});
