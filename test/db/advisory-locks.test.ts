import { describe, expect, it } from 'vitest';
import { ADVISORY_LOCKS } from '../../src/db/advisory-locks';

describe('advisory lock keys', () => {
  it('are distinct, so no two features wait on each other by accident', () => {
    const keys = Object.values(ADVISORY_LOCKS);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('fit in 32 bits, as the first key of a two-key lock must', () => {
    for (const [name, key] of Object.entries(ADVISORY_LOCKS)) {
      expect(Number.isInteger(key) && key > 0 && key < 2 ** 31, name).toBe(true);
    }
  });
});
