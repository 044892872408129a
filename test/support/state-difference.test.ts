import { describe, expect, it } from 'vitest';
import { stateDifference } from '../../src/support/state-difference.js';

describe('stateDifference', () => {
  it('ignores key order and the order of array entries, and names the first difference', () => {
    expect(stateDifference({ a: [{ x: 1, y: 2 }, { x: 3 }] }, { a: [{ x: 3 }, { y: 2, x: 1 }] })).toBeUndefined();
    expect(stateDifference({ a: [1, 2] }, { a: [1, 2, 3] })).toBe('state.a: 2 entries -> 3');
    expect(stateDifference({ a: { b: 'x' } }, { a: {} })).toBe('state.a.b: "x" -> absent');
  });
});
