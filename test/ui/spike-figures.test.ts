import { describe, expect, it } from 'vitest';
import { chanceInWords, expectedContacts } from '../../src/ui/spike-figures';

describe('how a spike is told to a leader', () => {
  it('keeps a decimal of an expected count under 10, so 0.4 does not read as 0', () => {
    expect(expectedContacts(0.04)).toBe('0.0');
    expect(expectedContacts(0.4)).toBe('0.4');
    expect(expectedContacts(9.94)).toBe('9.9');
    expect(expectedContacts(10)).toBe('10');
    expect(expectedContacts(1234.4)).toBe('1,234');
  });

  it('says a probability as odds to two figures, and the extremes in words', () => {
    expect(chanceInWords(0.02)).toBe('1 in 50');
    expect(chanceInWords(0.000_294)).toBe('1 in 3,400');
    expect(chanceInWords(0.3)).toBe('1 in 3');
    expect(chanceInWords(0.5)).toBe('about even');
    expect(chanceInWords(1e-9)).toBe('under 1 in a million');
    expect(chanceInWords(0)).toBe('under 1 in a million');
  });
});
