import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, isDuration, parseDuration } from '../src/runbook/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['90s', 90_000],
    ['0s', 0],
    ['1m500ms', 60_500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(isDuration(text)).toBe(true);
  });

  it.each([
    '', // nothing
    '15', // no unit
    '10x', // unknown unit
    '1.5s', // fractions
    '-1s', // negative
    '1m1h', // units out of order
    '1ms1s',
    '1s1s', // a unit twice
    ' 1m', // surrounding space
    '1m ',
    '1 m',
    '1M', // units are lowercase
    'ms',
    '1hh',
    '5 minutes',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(isDuration(text)).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [86_400_001, '1d1ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    fc.assert(fc.property(fc.nat({ max: 400 * 86_400_000 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});
