import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import {
  accountsIn,
  centralMoments,
  covariance,
  crossMean,
  type Form,
  type Moments,
  unit,
  type Variable,
} from './account-moments';
import { sequenceBoundary, sequencePValue } from './confidence-sequence';

/**
 * Prevented contacts from a randomised holdout (DESIGN.md section 6).
 *
 * Each account's contacts in its window (from its first exposure) are adjusted by what its own
 * past predicts (CUPED; Deng, Xu, Kohavi & Walker 2013): y − θ'(z − z̄), with z its contacts in
 * the 8 weeks before exposure scaled to its window and the window's length, and θ the pooled
 * within-group regression. The difference of the groups' adjusted means times the treated
 * accounts is the estimate; its variance is the unequal-variance (Welch) one of the adjusted
 * values, which assumes nothing about their distribution, with the treated side's spread at
 * least the held-out one's. The interval is for the contacts these treated accounts would
 * have made without the campaign minus those they made with it (Poisson noise averaged).
 *
 * That variance only holds once each group's mean is close to normal. With skewed counts (many
 * accounts with none, a few with many) and a small group it is not: a held-out group that has
 * not yet drawn a heavy account looks certain and low. So each group's mean must pass
 * Cochran's rule, |skewness of one account| / √n ≤ 0.2, with the skewness of the adjusted
 * values measured on both groups together; otherwise the answer is `insufficient_data`, with
 * how many more weeks (or how large a holdout) would get there.
 *
 * Skewness misses one case: a few heavy accounts carrying most of the contacts, which the
 * adjustment's regression fits to the treated group's. Whether the holdout drew none, one or
 * three of them then moves its mean and its variance together, so an interval from the
 * holdout's own spread is too narrow and the answers given run low. Both groups together show
 * how concentrated the contacts are (the treated one holds most accounts, so also the heavy
 * ones a small holdout missed), in the window and in the 8 weeks before it: the smaller
 * group's accounts must amount to EFFECTIVE_ACCOUNTS equally active ones in one of the two,
 * or the answer is `insufficient_data` with the group size that would do.
 *
 * Groups past that count still carry the skew into the interval, for the difference is then
 * the mean of a few dozen heavy accounts' values: a held-out mean that drew few of the tail
 * reads low exactly when its spread does. So at the window's end the interval is the
 * fixed-horizon t interval (Welch–Satterthwaite degrees of freedom) after Hall's (1992)
 * monotone transformation of the t statistic, which removes the skewness the difference of
 * means inherits from one account's: a wider interval on the side the tail is. While the
 * window runs the interval and p-value come from a confidence sequence, valid at every look.
 */

export type Interval = { estimate: number; low: number; high: number };

export type Timing = {
  /** Whether the measurement window has closed. */
  final: boolean;
  /** Days of the measurement window elapsed so far, and its planned length. */
  elapsedDays: number;
  windowDays: number;
};

export type Needed = {
  /** More weeks at the current rate that would make an answer possible; null if none would. */
  moreWeeks: number | null;
  /** Held-out accounts that would be needed when more weeks would not do. */
  holdoutAccounts: number | null;
};

export type EffectEstimate = {
  status: 'ok';
  /** Contacts prevented among treated accounts (negative: contacts added). */
  prevented: Interval;
  standardError: number;
  pValue: number;
  /** prevented / the contacts treated accounts would have made without the campaign. */
  lift: Interval | null;
  treatedContacts: number;
  heldOutContacts: number;
  /** The contacts treated accounts would have made without the campaign. */
  expectedWithout: number;
  /** The same estimate without the pre-period adjustment. */
  unadjusted: Interval;
};

export type Refusal = { status: 'insufficient_data'; reason: string; needed: Needed };

export type Answer = EffectEstimate | Refusal;

export type HoldoutEstimate = {
  kind: 'fixed_horizon' | 'always_valid';
  accounts: { treated: number; holdout: number };
  /** All reasons: the headline. */
  net: Answer;
  /** The campaign's target reasons. */
  target: Answer;
  /** target − net: contacts that moved to other reasons instead of going away. */
  shifted: Answer;
  /** The smallest lifts (shares of the target contacts) the design detects, 80% power, 5%. */
  detectable: {
    net: { adjusted: number | null; unadjusted: number | null };
    target: { adjusted: number | null; unadjusted: number | null };
  };
};

const SKEW_LIMIT = 0.2;
/**
 * Simulated with 3% of accounts at 150× the others' rate (lift 30%): holdouts amounting to 8
 * equally active accounts gave 95% intervals holding the truth 88% of the time (net), to 21
 * 96%.
 */
const EFFECTIVE_ACCOUNTS = 20;
const Z_POWER = 2.801585218; // z(0.975) + z(0.80)

type Outcome = { y: Variable; covariates: Variable[] };
const OUTCOMES = {
  net: { y: 'every', covariates: ['pre_every', 'weeks'] },
  target: { y: 'target', covariates: ['pre_target', 'weeks'] },
} satisfies Record<string, Outcome>;

/** The adjusted value y − θ'z for one outcome, θ pooled within groups. */
function adjustment(groups: Moments[], outcome: Outcome): Form {
  const y = unit(outcome.y);
  const pooled = (a: Form, b: Form) =>
    groups.reduce((sum, g) => sum + accountsIn(g) * covariance(g, a, b), 0);
  // Covariates with no spread (no pre-period contacts, one window length) are left out.
  const zs = outcome.covariates
    .map(unit)
    .filter((z) => pooled(z, z) > 1e-9 * Math.max(1, pooled(y, y)));
  let theta: number[] = [];
  const [a, b] = zs;
  if (zs.length === 1 && a) {
    theta = [pooled(a, y) / pooled(a, a)];
  } else if (zs.length === 2 && a && b) {
    const saa = pooled(a, a);
    const sbb = pooled(b, b);
    const sab = pooled(a, b);
    const det = saa * sbb - sab * sab;
    if (det > 1e-9 * saa * sbb) {
      const say = pooled(a, y);
      const sby = pooled(b, y);
      theta = [(sbb * say - sab * sby) / det, (saa * sby - sab * say) / det];
    } else {
      theta = [pooled(a, y) / saa];
      zs.splice(1);
    }
  }
  return y.map((coefficient, i) =>
    zs.reduce((sum, z, k) => sum - (theta[k] ?? 0) * (z[i] ?? 0), coefficient),
  );
}

type Contrast = {
  difference: number;
  variance: number;
  degreesOfFreedom: number;
  /** Per-account variance pooled over both groups, for the design's detectable effect. */
  pooledVariance: number;
  /** Skewness of one account's adjusted value, both groups together. */
  skewness: number;
  /** Skewness of the difference of the groups' means (signed), from the pooled moments. */
  skewOfDifference: number;
};

/** Held-out minus treated mean of a'v, with its Welch variance. */
function contrast(treated: Moments, holdout: Moments, a: Form): Contrast {
  const t = centralMoments(treated, a);
  const c = centralMoments(holdout, a);
  const nT = accountsIn(treated);
  const nC = accountsIn(holdout);
  // The treated accounts' spread without the campaign is not seen; the held-out one stands in
  // for it when larger, so the interval holds for these accounts' own prevented contacts.
  const vT = Math.max(t.variance, c.variance) / nT;
  const vC = c.variance / nC;
  const variance = vT + vC;
  const spread = (nT * t.spread + nC * c.spread) / (nT + nC);
  const third = (nT * t.third + nC * c.third) / (nT + nC);
  return {
    difference: c.mean - t.mean,
    variance,
    degreesOfFreedom: variance ** 2 / (vT ** 2 / (nT - 1) + vC ** 2 / (nC - 1)),
    pooledVariance: ((nT + nC) * spread) / (nT + nC - 1),
    skewness: spread > 0 ? Math.abs(third) / spread ** 1.5 : Number.POSITIVE_INFINITY,
    skewOfDifference:
      spread > 0 ? (third * (1 / nC ** 2 - 1 / nT ** 2)) / (spread * (1 / nC + 1 / nT)) ** 1.5 : 0,
  };
}

export function estimateWithHoldout(
  treated: Moments,
  holdout: Moments,
  timing: Timing,
): HoldoutEstimate {
  const nT = accountsIn(treated);
  const nC = accountsIn(holdout);
  const kind = timing.final ? 'fixed_horizon' : 'always_valid';
  const base = { kind, accounts: { treated: nT, holdout: nC } } as const;
  if (nT < 2 || nC < 2) {
    const refusal: Refusal = {
      status: 'insufficient_data',
      reason: tooFewAccounts(nT, nC),
      needed: { moreWeeks: null, holdoutAccounts: null },
    };
    const none = { adjusted: null, unadjusted: null };
    return {
      ...base,
      net: refusal,
      target: refusal,
      shifted: refusal,
      detectable: { net: none, target: none },
    };
  }
  const groups = [treated, holdout];
  const forms = {
    net: adjustment(groups, OUTCOMES.net),
    target: adjustment(groups, OUTCOMES.target),
  };
  const raw = { net: unit('every'), target: unit('target') };
  const treatedMean = (variable: Variable) => centralMoments(treated, unit(variable)).mean;
  const expectedTarget = (adjusted: Contrast) =>
    nT * Math.max(0, treatedMean('target') + adjusted.difference);

  const effective = {
    net: effectiveAccounts(treated, holdout, 'net'),
    target: effectiveAccounts(treated, holdout, 'target'),
  };
  const contrasts = {
    net: contrast(treated, holdout, forms.net),
    target: contrast(treated, holdout, forms.target),
  };
  const unadjusted = {
    net: contrast(treated, holdout, raw.net),
    target: contrast(treated, holdout, raw.target),
  };
  const expectedWithoutTarget = expectedTarget(contrasts.target);
  const answer = (name: 'net' | 'target'): Answer => {
    const adjusted = contrasts[name];
    const refusal = refuse(adjusted, forms[name], effective[name], treated, holdout, raw[name], {
      timing,
      name,
    });
    if (refusal) return refusal;
    const y = name === 'net' ? 'every' : 'target';
    const expectedWithout = nT * Math.max(0, treatedMean(y) + adjusted.difference);
    return effect(adjusted, unadjusted[name], nT, timing, {
      treatedContacts: nT * treatedMean(y),
      heldOutContacts: nC * centralMoments(holdout, unit(y)).mean,
      expectedWithout,
    });
  };
  const net = answer('net');
  const target = answer('target');
  const detectable = (name: 'net' | 'target') => ({
    adjusted: detectableLift(contrasts[name], nT, nC, expectedWithoutTarget),
    unadjusted: detectableLift(unadjusted[name], nT, nC, expectedWithoutTarget),
  });
  return {
    ...base,
    net,
    target,
    shifted: shiftedContacts(net, target, treated, holdout, { adjusted: forms, raw }, timing),
    detectable: { net: detectable('net'), target: detectable('target') },
  };
}

function effect(
  adjusted: Contrast,
  unadjusted: Contrast,
  nT: number,
  timing: Timing,
  counts: { treatedContacts: number; heldOutContacts: number; expectedWithout: number },
): EffectEstimate {
  const { interval, pValue } = intervalOf(
    nT * adjusted.difference,
    nT * Math.sqrt(adjusted.variance),
    adjusted.degreesOfFreedom,
    timing,
    adjusted.skewOfDifference,
  );
  const lift =
    counts.expectedWithout > 0
      ? {
          estimate: interval.estimate / counts.expectedWithout,
          low: interval.low / counts.expectedWithout,
          high: interval.high / counts.expectedWithout,
        }
      : null;
  return {
    status: 'ok',
    prevented: interval,
    standardError: nT * Math.sqrt(adjusted.variance),
    pValue,
    lift,
    ...counts,
    unadjusted: intervalOf(
      nT * unadjusted.difference,
      nT * Math.sqrt(unadjusted.variance),
      unadjusted.degreesOfFreedom,
      timing,
    ).interval,
  };
}

/**
 * Fixed-horizon t interval at the window's end (skewness removed when given: the skewness of
 * the estimate), the confidence sequence before it.
 */
function intervalOf(estimate: number, se: number, df: number, timing: Timing, skewness = 0) {
  if (!(se > 0)) {
    return {
      interval: { estimate, low: estimate, high: estimate },
      pValue: estimate === 0 ? 1 : 0,
    };
  }
  if (timing.final) {
    const dof = Number.isFinite(df) && df > 1 ? df : 1;
    const q = tQuantile(0.975, dof);
    const t = hallTransform(skewness);
    return {
      // (estimate − truth) / se = T: T ≤ t⁻¹(q) puts the truth above estimate − t⁻¹(q)·se.
      interval: {
        estimate,
        low: estimate - t.inverse(q) * se,
        high: estimate - t.inverse(-q) * se,
      },
      pValue: 2 * (1 - tCdf(Math.abs(t.apply(estimate / se)), dof)),
    };
  }
  const share = timing.windowDays > 0 ? timing.elapsedDays / timing.windowDays : 1;
  const half = sequenceBoundary(share) * se;
  return {
    interval: { estimate, low: estimate - half, high: estimate + half },
    pValue: sequencePValue(estimate / se, share),
  };
}

/**
 * target − net, with the covariance of the two estimates (same accounts); unadjusted the same
 * way from the raw counts, so each interval carries its own uncertainty.
 */
function shiftedContacts(
  net: Answer,
  target: Answer,
  treated: Moments,
  holdout: Moments,
  forms: { adjusted: Outcomes; raw: Outcomes },
  timing: Timing,
): Answer {
  if (net.status !== 'ok') return net;
  if (target.status !== 'ok') return target;
  const adjusted = differenceOf(treated, holdout, forms.adjusted, timing);
  return {
    status: 'ok',
    prevented: adjusted.interval,
    standardError: adjusted.standardError,
    pValue: adjusted.pValue,
    lift: null,
    treatedContacts: net.treatedContacts - target.treatedContacts,
    heldOutContacts: net.heldOutContacts - target.heldOutContacts,
    expectedWithout: net.expectedWithout - target.expectedWithout,
    unadjusted: differenceOf(treated, holdout, forms.raw, timing).interval,
  };
}

type Outcomes = { net: Form; target: Form };

/** Prevented contacts of target minus those of net, and their interval, for one pair of forms. */
function differenceOf(treated: Moments, holdout: Moments, forms: Outcomes, timing: Timing) {
  const nT = accountsIn(treated);
  const shift = forms.target.map((coefficient, i) => coefficient - (forms.net[i] ?? 0));
  const mean = (g: Moments) => centralMoments(g, shift).mean;
  const variance = (g: Moments) => {
    const n = accountsIn(g);
    return (Math.max(0, covariance(g, shift, shift)) * n) / (n - 1) / n;
  };
  const vT = variance(treated);
  const vC = variance(holdout);
  const df =
    (vT + vC) ** 2 / (vT ** 2 / (accountsIn(treated) - 1) + vC ** 2 / (accountsIn(holdout) - 1));
  const standardError = nT * Math.sqrt(vT + vC);
  const estimate = nT * (mean(holdout) - mean(treated));
  return { ...intervalOf(estimate, standardError, df, timing), standardError };
}

/** Why groups of fewer than 2 accounts give no answer, in a leader's words. */
function tooFewAccounts(treated: number, heldOut: number): string {
  const counts = `(treated ${treated}, held out ${heldOut})`;
  return treated + heldOut === 0
    ? `no account has been shown or sent the campaign yet ${counts}: there is nothing to ` +
        'compare until at least 2 accounts are in each group'
    : `needs at least 2 accounts in each group ${counts}`;
}

/**
 * Hall's (1992) transformation of a studentised mean whose estimate has skewness γ:
 * T + aT² + a²T³/3 + a/2 with a = γ/3 is as close to normal as T is to t when γ is 0, one
 * order of 1/√n closer otherwise, and increasing (its slope is (1 + aT)²), so it inverts.
 */
function hallTransform(skewness: number) {
  const a = skewness / 3;
  if (!(Math.abs(a) > 1e-9)) return { apply: (t: number) => t, inverse: (y: number) => y };
  return {
    apply: (t: number) => ((1 + a * t) ** 3 - 1) / (3 * a) + a / 2,
    inverse: (y: number) => (Math.cbrt(1 + 3 * a * (y - a / 2)) - 1) / a,
  };
}

function detectableLift(
  measured: Contrast,
  nT: number,
  nC: number,
  expectedWithoutTarget: number,
): number | null {
  if (!(expectedWithoutTarget > 0) || !(measured.pooledVariance > 0)) return null;
  const se = nT * Math.sqrt(measured.pooledVariance * (1 / nT + 1 / nC));
  return (Z_POWER * se) / expectedWithoutTarget;
}

/**
 * Why no calibrated answer exists yet, or null when one does: each group's mean must be close
 * to normal (Cochran's rule on the adjusted values' skewness).
 */
function refuse(
  adjusted: Contrast,
  adjustedForm: Form,
  effective: Effective,
  treated: Moments,
  holdout: Moments,
  raw: Form,
  { timing, name }: { timing: Timing; name: 'net' | 'target' },
): Refusal | null {
  const nT = accountsIn(treated);
  const nC = accountsIn(holdout);
  const smaller = Math.min(nT, nC);
  const what = name === 'net' ? 'contacts' : 'target-reason contacts';
  const contacts = {
    treated: nT * centralMoments(treated, raw).mean,
    holdout: nC * centralMoments(holdout, raw).mean,
  };
  const seen =
    `${fmt(contacts.holdout)} ${what} among ${nC} held-out accounts, ` +
    `${fmt(contacts.treated)} among ${nT} treated`;
  if (!(adjusted.pooledVariance > 0)) {
    return {
      status: 'insufficient_data',
      reason:
        contacts.treated + contacts.holdout > 0
          ? `every account made the same number of ${what} (${seen}): no spread to base an ` +
            'interval on'
          : `no ${what} yet in either group (${nT + nC} accounts exposed)`,
      needed: { moreWeeks: null, holdoutAccounts: null },
    };
  }
  const skewOfMean = adjusted.skewness / Math.sqrt(smaller);
  // A held-out group with no spread of its own while the treated one has some is not a mean
  // known exactly: its spread is unseen (a few accounts that happened to write alike), and
  // the interval would stand on the treated side's alone.
  const heldOutSpread = centralMoments(holdout, adjustedForm).variance;
  if (skewOfMean <= SKEW_LIMIT && !(heldOutSpread > 1e-9 * adjusted.pooledVariance)) {
    return {
      status: 'insufficient_data',
      reason:
        `the ${fmt(nC)} held-out accounts all made the same number of ${what} (${seen}): ` +
        'their spread is unseen; more held-out accounts or a longer window would give one',
      needed: { moreWeeks: null, holdoutAccounts: null },
    };
  }
  if (skewOfMean <= SKEW_LIMIT && effective.count < EFFECTIVE_ACCOUNTS) {
    const needed = Math.ceil((EFFECTIVE_ACCOUNTS * smaller) / effective.count);
    const group = `the ${fmt(smaller)} ${nC <= nT ? 'held-out' : 'treated'} accounts`;
    return {
      status: 'insufficient_data',
      reason:
        `${effective.concentrated ? `a few accounts make most of the ${what}` : `too few ${what}`}` +
        ` (${seen}): ${group} count as ${fmt(effective.count)} equally active ones, too few ` +
        `for a calibrated interval; a group of about ${fmt(needed)} accounts would give one`,
      needed: { moreWeeks: null, holdoutAccounts: needed },
    };
  }
  if (skewOfMean <= SKEW_LIMIT) return null;
  const needed = whatWouldDo(adjusted.skewness, treated, holdout, raw, smaller, timing);
  const advice =
    needed.moreWeeks !== null
      ? timing.final
        ? `a window about ${needed.moreWeeks} week(s) longer (window_days) would give one`
        : `about ${needed.moreWeeks} more week(s) at the current rate would give one`
      : needed.holdoutAccounts !== null
        ? `more weeks would not help: a group of about ${fmt(needed.holdoutAccounts)} ` +
          `accounts (now ${fmt(smaller)}) would`
        : 'more data would';
  return {
    status: 'insufficient_data',
    reason: `too few or too concentrated ${what} for a calibrated interval (${seen}); ${advice}`,
    needed,
  };
}

/**
 * The equally active accounts the smaller group amounts to, by its contacts in the window or
 * in the 8 weeks before (accounts new to the service have few contacts before: the window's
 * may be even), whichever counts more; and whether that is because a few accounts make most
 * of them, rather than because every account makes few.
 */
function effectiveAccounts(treated: Moments, holdout: Moments, name: 'net' | 'target'): Effective {
  const smaller = Math.min(accountsIn(treated), accountsIn(holdout));
  const window = equalShare(treated, holdout, unit(name === 'net' ? 'every' : 'target'));
  const before = equalShare(treated, holdout, unit(name === 'net' ? 'pre_every' : 'pre_target'));
  const { share, poissonShare } = window.share >= before.share ? window : before;
  return { count: smaller * share, concentrated: share < CONCENTRATED * poissonShare };
}

type Effective = { count: number; concentrated: boolean };

/**
 * How far below what equally active accounts would show a share must fall to be called
 * concentrated: an overdispersed group (a negative binomial of shape 1) sits at about half of it
 * when accounts write often, nearer to it when they write seldom.
 */
const CONCENTRATED = 0.5;

/**
 * (Σy)² / (n Σy²) of the contacts y over both groups' accounts: the share of them that, equally
 * active, would have made as many contacts (1 when they are equally active; small when a few
 * make most). Counts that are small even for equally active accounts keep it low too: with
 * Poisson contacts of mean m it is m / (1 + m) (`poissonShare`).
 */
function equalShare(
  treated: Moments,
  holdout: Moments,
  raw: Form,
): { share: number; poissonShare: number } {
  const groups = [treated, holdout];
  const n = accountsIn(treated) + accountsIn(holdout);
  const total = groups.reduce((sum, g) => sum + accountsIn(g) * centralMoments(g, raw).mean, 0);
  const squares = groups.reduce((sum, g) => sum + accountsIn(g) * crossMean(g, raw, raw), 0);
  const m = n > 0 ? total / n : 0;
  return { share: squares > 0 ? total ** 2 / (n * squares) : 1, poissonShare: m / (1 + m) };
}

/**
 * How the skewness of one account's count falls as its window lengthens, from the factorial
 * moments of the pooled counts (a Poisson mixture: time scales the rate): the projection that
 * says how many more weeks, or how many more accounts, would make the means close to normal.
 */
function whatWouldDo(
  skewness: number,
  treated: Moments,
  holdout: Moments,
  raw: Form,
  smaller: number,
  timing: Timing,
): Needed {
  const n = accountsIn(treated) + accountsIn(holdout);
  const moment = (power: 1 | 2 | 3) => {
    const sum = (g: Moments) => {
      const c = accountsIn(g);
      if (power === 1) return c * centralMoments(g, raw).mean;
      const m = centralMoments(g, raw);
      const m2 = m.spread + m.mean ** 2;
      if (power === 2) return c * m2;
      return c * (m.third + 3 * m.mean * m2 - 2 * m.mean ** 3);
    };
    return (sum(treated) + sum(holdout)) / n;
  };
  const m1 = moment(1);
  const f2 = moment(2) - m1;
  const f3 = moment(3) - 3 * moment(2) + 2 * m1;
  const heterogeneity = Math.max(0, f2 - m1 * m1);
  // Rates with no spread have no skew either: counts as even as Poisson ones (or more) would
  // otherwise project a skewness that grows with time.
  const rateThird = heterogeneity > 0 ? f3 - 3 * f2 * m1 + 2 * m1 ** 3 : 0;
  const countSkew = (scale: number) => {
    const variance = scale * m1 + scale ** 2 * heterogeneity;
    const third = scale * m1 + 3 * scale ** 2 * heterogeneity + scale ** 3 * rateThird;
    return variance > 0 ? Math.abs(third) / variance ** 1.5 : Number.POSITIVE_INFINITY;
  };
  const now = countSkew(1);
  const projected = (scale: number) =>
    Number.isFinite(now) && now > 0 ? (skewness * countSkew(scale)) / now : skewness;
  const weeksSoFar = Math.max(1 / 7, timing.elapsedDays / 7);
  for (let extra = 1; extra <= 104; extra++) {
    if (projected(1 + extra / weeksSoFar) / Math.sqrt(smaller) <= SKEW_LIMIT) {
      return { moreWeeks: extra, holdoutAccounts: null };
    }
  }
  // The group that would do at this window's length: one as long as the window can ever
  // be would need fewer, but that window is out of reach.
  return {
    moreWeeks: null,
    holdoutAccounts: Number.isFinite(skewness) ? Math.ceil((skewness / SKEW_LIMIT) ** 2) : null,
  };
}

const fmt = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 1 });
