import gamma from '@stdlib/random-base-gamma';
import normal from '@stdlib/random-base-normal';
import poisson from '@stdlib/random-base-poisson';
import gammaCdf from '@stdlib/stats-base-dists-gamma-cdf';
import gammaQuantile from '@stdlib/stats-base-dists-gamma-quantile';
import { PRE_PERIOD_DAYS } from '../../src/modules/campaigns/pre-period';
import {
  addAccount,
  addQuietAccount,
  emptyMoments,
  type Moments,
} from '../../src/modules/impact/account-moments';

/**
 * Simulated campaigns with a holdout, drawn from a process the estimator does not assume:
 * each account's daily contact rate from a gamma distribution (shape 0.05–1: most accounts
 * never write, a few write often), drifting between the pre-period and the window by a second
 * gamma factor, other reasons at an account-specific multiple of it; accounts exposed over the
 * campaign's days (most early), so windows differ in length; the effect either the same share
 * for everyone, concentrated in the heaviest 2% of accounts, or moved whole to another reason.
 * One scenario draws rates of two kinds instead of the gamma: a few heavy accounts among many
 * light ones, so that a small holdout holds one or two of them, or none.
 *
 * The truth is what the estimator claims to estimate: the contacts these treated accounts
 * would have made without the campaign minus those they were expected to make with it, given
 * their rates (only the Poisson noise averaged out), at the window's end and at each look.
 */

export type Effect = 'homogeneous' | 'heaviest' | 'shifted';

export type CampaignScenario = {
  name: string;
  audience: [number, number];
  holdout: [number, number];
  shape: [number, number];
  /** Target contacts per account over a whole window, log-uniform. */
  baseRate: [number, number];
  effect: Effect;
  campaignDays: [number, number];
  daysAfter: [number, number];
  /** Days from the campaign's start of the looks taken before the window closes. */
  looks?: number[];
  /**
   * Rates from two kinds of account instead of a gamma: a share of heavy accounts writing
   * `ratio` times as often as the light rest (shape is then unused).
   */
  heavy?: { share: [number, number]; ratio: [number, number] };
  /** Whether the target-reason intervals' coverage is judged too, not only the headline's. */
  judgeTarget?: boolean;
};

export type Truth = { net: number; target: number; shifted: number };
export type Groups = { treated: Moments; holdout: Moments };
/**
 * One look at a simulated campaign, in two worlds drawn with the same random numbers: with
 * the effect, and without it (the treated accounts' contacts before the effect thins them).
 * The second world is a campaign with no effect in its own right; the pair also measures the
 * estimator's response to the effect with little Monte Carlo noise.
 */
export type Look = {
  elapsedDays: number;
  final: boolean;
  effect: Groups;
  none: Groups;
  truth: Truth;
};
export type SimulatedCampaign = { lift: number; windowDays: number; looks: Look[] };

/**
 * A small fast generator (sfc32) that drives stdlib's distributions: its own Mersenne Twister
 * costs more than the rest of an account's simulation, and the bench draws millions of them.
 */
export function seededUniform(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed | 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

export function campaignSimulator(seed: number) {
  const u = seededUniform(seed);
  const gammaDraw = gamma.factory({ prng: u });
  const normalDraw = normal.factory(0, 1, { prng: u });
  const poissonFactory = poisson.factory({ prng: u });
  // stdlib answers NaN for a mean of 0.
  const poissonDraw = (mean: number) => (mean > 0 ? poissonFactory(mean) : 0);
  const between = ([lo, hi]: [number, number]) => lo + (hi - lo) * u();
  const logBetween = ([lo, hi]: [number, number]) =>
    Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u());

  return function simulate(scenario: CampaignScenario, lift: number): SimulatedCampaign {
    const audience = Math.round(logBetween(scenario.audience));
    const holdoutShare = between(scenario.holdout);
    const shape = between(scenario.shape);
    const base = logBetween(scenario.baseRate);
    const campaignDays = Math.round(between(scenario.campaignDays));
    const windowDays = campaignDays + Math.round(between(scenario.daysAfter));
    const otherRatio = between([1, 4]);
    const daily = base / windowDays;
    const heavyAccounts = scenario.heavy && between(scenario.heavy.share);
    const heavyRatio = scenario.heavy ? logBetween(scenario.heavy.ratio) : 1;
    const lightDaily = heavyAccounts ? daily / (1 - heavyAccounts + heavyAccounts * heavyRatio) : 0;
    const rateScale = daily / shape; // gamma(shape, rate = 1/scale) has mean `daily`
    // The heaviest 2% (by their usual rate) and their share of all contacts.
    const heavy = gammaQuantile(0.98, shape, 1 / rateScale);
    const heavyShare = 1 - gammaCdf(heavy, shape + 1, 1 / rateScale);
    const heavyLift = Math.min(1, lift / heavyShare);
    const exposureDay = () => campaignDays * (1 - Math.cbrt(1 - u()));

    const lookDays = [...(scenario.looks ?? []).filter((d) => d < windowDays), windowDays];
    const looks: Look[] = lookDays.map((day) => {
      const holdout = emptyMoments();
      return {
        elapsedDays: day,
        final: day === windowDays,
        effect: { treated: emptyMoments(), holdout },
        none: { treated: emptyMoments(), holdout },
        truth: { net: 0, target: 0, shifted: 0 },
      };
    });
    const prevented = lookDays.map(() => 0);
    const values = new Float64Array(5);
    const targetTimes: number[] = [];
    const kept: boolean[] = [];
    const otherTimes: number[] = [];
    for (let i = 0; i < audience; i++) {
      const heldOut = u() < holdoutShare;
      // Gamma(k) as Gamma(k + 1)·U^(1/k): the same law, drawn faster for shapes below 1.
      const rate = heavyAccounts
        ? lightDaily * (u() < heavyAccounts ? heavyRatio : 1)
        : gammaDraw(shape + 1, 1 / rateScale) * u() ** (1 / shape);
      const drift = Math.exp(0.5 * normalDraw() - 0.125);
      const otherShare = otherRatio * Math.exp(0.7 * normalDraw() - 0.245);
      const exposed = exposureDay();
      const share = heldOut
        ? 0
        : scenario.effect === 'heaviest'
          ? rate > heavy
            ? heavyLift
            : 0
          : lift;
      const span = windowDays - exposed;
      const post = rate * drift * span;
      const preMean = rate * PRE_PERIOD_DAYS * (1 + otherShare);
      const total = preMean + post * (1 + otherShare);
      if (share > 0) {
        for (let l = 0; l < lookDays.length; l++) {
          const day = lookDays[l] as number;
          if (exposed < day) {
            prevented[l] = (prevented[l] as number) + rate * drift * (day - exposed) * share;
          }
        }
      }
      // One Poisson draw for all of an account's contacts, split among their kinds after:
      // most accounts have none.
      const contacts = poissonDraw(total);
      if (contacts === 0) {
        for (let l = 0; l < lookDays.length; l++) {
          const day = lookDays[l] as number;
          if (exposed >= day) continue;
          const look = looks[l] as Look;
          const weeks = (day - exposed) / 7;
          if (heldOut) addQuietAccount(look.effect.holdout, weeks);
          else {
            addQuietAccount(look.effect.treated, weeks);
            addQuietAccount(look.none.treated, weeks);
          }
        }
        continue;
      }
      let preTarget = 0;
      let preEvery = 0;
      targetTimes.length = 0;
      kept.length = 0;
      otherTimes.length = 0;
      for (let k = 0; k < contacts; k++) {
        const pick = u() * total;
        if (pick < preMean) {
          preEvery++;
          if (pick < rate * PRE_PERIOD_DAYS) preTarget++;
        } else if (pick < preMean + post) {
          targetTimes.push(exposed + u() * span);
          // The campaign thins the contacts it prevents (or moves them to another reason).
          kept.push(u() >= share);
        } else otherTimes.push(exposed + u() * span);
      }
      for (let l = 0; l < lookDays.length; l++) {
        const day = lookDays[l] as number;
        if (exposed >= day) continue;
        const look = looks[l] as Look;
        let target = 0;
        let stayed = 0;
        for (let k = 0; k < targetTimes.length; k++) {
          if ((targetTimes[k] as number) >= day) continue;
          target++;
          if (kept[k]) stayed++;
        }
        let other = 0;
        for (const time of otherTimes) if (time < day) other++;
        const length = day - exposed;
        values[2] = (preTarget * length) / PRE_PERIOD_DAYS;
        values[3] = (preEvery * length) / PRE_PERIOD_DAYS;
        values[4] = length / 7;
        values[0] = target;
        values[1] = target + other;
        if (heldOut) {
          addAccount(look.effect.holdout, values);
          continue;
        }
        addAccount(look.none.treated, values);
        values[0] = stayed;
        values[1] = (scenario.effect === 'shifted' ? target : stayed) + other;
        addAccount(look.effect.treated, values);
      }
    }
    lookDays.forEach((_, l) => {
      const target = prevented[l] as number;
      const net = scenario.effect === 'shifted' ? 0 : target;
      (looks[l] as Look).truth = { net, target, shifted: target - net };
    });
    return { lift, windowDays, looks };
  };
}
