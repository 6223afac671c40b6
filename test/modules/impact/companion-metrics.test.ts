import gamma from '@stdlib/random-base-gamma';
import poisson from '@stdlib/random-base-poisson';
import { describe, expect, it } from 'vitest';
import {
  emptyGroup,
  type GroupMeasurement,
} from '../../../src/modules/impact/campaign-measurements';
import { companionWarnings } from '../../../src/modules/impact/companion-metrics';
import { seededUniform } from '../../bench/impact-campaigns';

/** Adds one account's numerator and denominator to a group's per-account sums of a ratio. */
function addRatio(
  sums: { accounts: number; y: number; x: number; yy: number; xy: number; xx: number },
  y: number,
  x: number,
) {
  if (x > 0) sums.accounts++;
  sums.y += y;
  sums.x += x;
  sums.yy += y * y;
  sums.xy += x * y;
  sums.xx += x * x;
}

/**
 * Campaigns whose treated and held-out accounts are drawn alike, except for `csatShift`, which
 * lowers treated accounts' chance of a satisfied rating. Accounts differ from each other:
 * overdispersed contact counts (most write none, a few many), and each its own chance of
 * coming back within 48 hours and of rating a contact 4 or 5, so an account's contacts are not
 * independent of each other.
 */
function simulate(seed: number, campaigns: number, csatShift = 0) {
  const u = seededUniform(seed);
  const g = gamma.factory({ prng: u });
  const p = poisson.factory({ prng: u });
  const beta = (a: number, b: number) => {
    const x = g(a, 1);
    return x / (x + g(b, 1));
  };
  const warned: string[][] = [];
  for (let r = 0; r < campaigns; r++) {
    const groups = { treated: emptyGroup(), holdout: emptyGroup() };
    for (const [name, n] of [
      ['treated', 1_800],
      ['holdout', 200],
    ] as const) {
      const group: GroupMeasurement = groups[name];
      group.accounts = n;
      for (let i = 0; i < n; i++) {
        const mean = g(0.3, 0.3);
        const contacts = mean > 0 ? p(mean) : 0;
        const comesBack = beta(0.5, 1.5);
        const satisfied = beta(2, 1) * (name === 'treated' ? 1 - csatShift : 1);
        let recontacts = 0;
        let rated = 0;
        let happy = 0;
        for (let j = 0; j < contacts; j++) {
          if (u() < comesBack) recontacts++;
          if (u() < 0.5) {
            rated++;
            if (u() < satisfied) happy++;
          }
        }
        group.contacts += contacts;
        group.recontacts += recontacts;
        group.csat.responses += rated;
        group.csat.satisfied += happy;
        addRatio(group.perAccount.recontacts, recontacts, contacts);
        addRatio(group.perAccount.csat, happy, rated);
        if (u() < 0.02) group.churned++;
      }
    }
    // As if contacts went down: warnings are only raised then.
    warned.push(companionWarnings(1, groups.treated, groups.holdout).map((w) => w.code));
  }
  return warned;
}

describe('companion warnings', () => {
  it('rarely warn when treated and held-out accounts are drawn alike', () => {
    const warned = simulate(7, 400);
    const any = warned.filter((codes) => codes.length > 0).length / warned.length;
    // At most 5% of campaigns should show any warning; 8% leaves room for the 400 draws.
    expect(any).toBeLessThan(0.08);
  });

  it('warn when treated accounts are less often satisfied', () => {
    const warned = simulate(11, 100, 0.3);
    const csat = warned.filter((codes) => codes.includes('csat_down')).length / warned.length;
    expect(csat).toBeGreaterThan(0.8);
  });
});
