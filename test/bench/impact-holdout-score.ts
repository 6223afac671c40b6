import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import {
  accountsIn,
  centralMoments,
  unit,
  type Variable,
} from '../../src/modules/impact/account-moments';
import {
  type Answer,
  estimateWithHoldout,
  type HoldoutEstimate,
} from '../../src/modules/impact/holdout-estimate';
import type { CampaignScenario, Groups, Look, SimulatedCampaign } from './impact-campaigns';

/** What one scenario's campaigns showed, for the headline (net) unless said otherwise. */
export type HoldoutScore = {
  /** Campaign estimates scored: each simulated campaign with its effect and without. */
  campaigns: number;
  answered: number;
  coverage: number;
  refused: number;
  /** Mean (estimate − truth) / mean truth over the campaigns with an effect, and its MC s.e. */
  bias: { plain: number; plainNoise: number; paired: number; pairedNoise: number };
  falsePositives: number;
  nullAnswered: number;
  /** anyFalsePositive over every campaign; `answered`: those whose no-effect twin got a number at a look. */
  looks: {
    count: number;
    answered: number;
    anyFalsePositive: number;
    coverage: number;
    withFinal: number;
  } | null;
  detectable: { adjusted: number; unadjusted: number; targetAdjusted: number };
  target: { coverage: number; answered: number };
  shifted: { coverage: number; answered: number } | null;
  naive: { coverage: number; falsePositives: number };
  /**
   * The campaigns refused (net), and how often a plain Welch-t 95% interval of the difference
   * of their every-reason means (no adjustment, no refusal) held the truth on them: a refusal
   * is needed where that is not calibrated either.
   */
  refusals: { plain: number; coverage: number };
};

const covers = (a: Answer, truth: number) =>
  a.status === 'ok' && a.prevented.low <= truth && truth <= a.prevented.high;
const significant = (a: Answer) => a.status === 'ok' && a.pValue < 0.05;

/**
 * Welch's difference of the groups' means of `y`, unadjusted, scaled to the treated accounts,
 * with its Welch–Satterthwaite degrees of freedom; null without two accounts a side or spread.
 */
function welch(groups: Groups, y: Variable) {
  const t = centralMoments(groups.treated, unit(y));
  const c = centralMoments(groups.holdout, unit(y));
  const nT = accountsIn(groups.treated);
  const nC = accountsIn(groups.holdout);
  if (nT < 2 || nC < 2) return null;
  const vT = t.variance / nT;
  const vC = c.variance / nC;
  const se = nT * Math.sqrt(vT + vC);
  if (!(se > 0)) return null;
  const df = (vT + vC) ** 2 / (vT ** 2 / (nT - 1) + vC ** 2 / (nC - 1));
  return { estimate: nT * (c.mean - t.mean), se, df };
}

/** Whether a plain Welch-t 95% interval of the net (every reason) difference holds `truth`. */
function plainCovers(groups: Groups, truth: number): boolean | null {
  const w = welch(groups, 'every');
  return w && Math.abs(w.estimate - truth) <= tQuantile(0.975, w.df) * w.se;
}

/** The estimator this replaced: Welch difference of target means, normal, no refusal. */
function naive(groups: Groups) {
  const w = welch(groups, 'target');
  if (!w) return null;
  const { estimate, se } = w;
  return {
    low: estimate - 1.96 * se,
    high: estimate + 1.96 * se,
    p: 2 * (1 - normalCdf(Math.abs(estimate / se), 0, 1)),
  };
}

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor(sorted.length / 2)] as number) : Number.NaN;
};

function estimate(look: Look, groups: Groups, windowDays: number): HoldoutEstimate {
  return estimateWithHoldout(groups.treated, groups.holdout, {
    final: look.final,
    elapsedDays: look.elapsedDays,
    windowDays,
  });
}

/** Whether the campaign's no-effect twin gets a number at the window's end. */
export function answersWithoutEffect(campaign: SimulatedCampaign): boolean {
  const look = campaign.looks.at(-1) as Look;
  return estimate(look, look.none, campaign.windowDays).net.status === 'ok';
}

type Scored = { look: Look; effect: HoldoutEstimate; none: HoldoutEstimate };

export function scoreHoldout(
  scenario: CampaignScenario,
  simulated: SimulatedCampaign[],
): HoldoutScore {
  const shifted = scenario.effect === 'shifted';
  const finals: Scored[] = simulated.map((c) => {
    const look = c.looks.at(-1) as Look;
    return {
      look,
      effect: estimate(look, look.effect, c.windowDays),
      none: estimate(look, look.none, c.windowDays),
    };
  });
  const runs = finals.flatMap((f) => [
    { answer: f.effect, truth: f.look.truth, groups: f.look.effect },
    { answer: f.none, truth: { net: 0, target: 0, shifted: 0 }, groups: f.look.none },
  ]);
  const answered = runs.filter((r) => r.answer.net.status === 'ok');
  const plainOnRefused = runs
    .filter((r) => r.answer.net.status !== 'ok')
    .map((r) => plainCovers(r.groups, r.truth.net))
    .filter((covered) => covered !== null);
  const nullAnswered = finals.filter((f) => f.none.net.status === 'ok');
  const targetAnswered = runs.filter((r) => r.answer.target.status === 'ok');
  const shiftedAnswered = runs.filter((r) => r.answer.shifted.status === 'ok');
  const naiveRuns = finals.flatMap((f) => [
    { n: naive(f.look.effect), truth: f.look.truth.target },
    { n: naive(f.look.none), truth: 0 },
  ]);
  const naiveAnswered = naiveRuns.filter((r) => r.n !== null);
  const naiveNull = finals.map((f) => naive(f.look.none)).filter((n) => n !== null);
  // The shifted scenario's net truth is 0: its bias is measured on the target estimate.
  const measured = shifted ? 'target' : 'net';

  let looks: HoldoutScore['looks'] = null;
  if (scenario.looks?.length) {
    let count = 0;
    let covered = 0;
    let answeredNone = 0;
    let anyFalse = 0;
    let anyWithFinal = 0;
    simulated.forEach((campaign, i) => {
      let flagged = false;
      let seen = false;
      for (const look of campaign.looks.slice(0, -1)) {
        const none = estimate(look, look.none, campaign.windowDays).net;
        const effect = estimate(look, look.effect, campaign.windowDays).net;
        for (const [answer, truth] of [
          [none, 0],
          [effect, look.truth.net],
        ] as const) {
          if (answer.status !== 'ok') continue;
          count++;
          if (covers(answer, truth)) covered++;
        }
        if (significant(none)) flagged = true;
        if (none.status === 'ok') seen = true;
      }
      if (seen) answeredNone++;
      if (flagged) anyFalse++;
      if (flagged || significant((finals[i] as Scored).none.net)) anyWithFinal++;
    });
    looks = {
      count,
      answered: answeredNone,
      anyFalsePositive: anyFalse / simulated.length,
      coverage: covered / Math.max(1, count),
      withFinal: anyWithFinal / simulated.length,
    };
  }
  return {
    campaigns: runs.length,
    answered: answered.length,
    coverage: answered.filter((r) => covers(r.answer.net, r.truth.net)).length / answered.length,
    refused: 1 - answered.length / runs.length,
    bias: bias(finals, measured),
    falsePositives:
      nullAnswered.filter((f) => significant(f.none.net)).length / nullAnswered.length,
    nullAnswered: nullAnswered.length,
    looks,
    detectable: {
      adjusted: median(answered.map((r) => r.answer.detectable.net.adjusted ?? Number.NaN)),
      unadjusted: median(answered.map((r) => r.answer.detectable.net.unadjusted ?? Number.NaN)),
      targetAdjusted: median(
        answered.map((r) => r.answer.detectable.target.adjusted ?? Number.NaN),
      ),
    },
    target: {
      answered: targetAnswered.length,
      coverage:
        targetAnswered.filter((r) => covers(r.answer.target, r.truth.target)).length /
        targetAnswered.length,
    },
    shifted: shifted
      ? {
          answered: shiftedAnswered.length,
          coverage:
            shiftedAnswered.filter((r) => covers(r.answer.shifted, r.truth.shifted)).length /
            shiftedAnswered.length,
        }
      : null,
    naive: {
      coverage:
        naiveAnswered.filter(({ n, truth }) => n && n.low <= truth && truth <= n.high).length /
        naiveAnswered.length,
      falsePositives: naiveNull.filter((n) => n.p < 0.05).length / naiveNull.length,
    },
    refusals: {
      plain: plainOnRefused.length,
      coverage: plainOnRefused.filter(Boolean).length / plainOnRefused.length,
    },
  };
}

/**
 * Bias relative to the truth over the answered campaigns with an effect, two ways. Plainly:
 * Σ(estimate − truth) / Σ truth, whose Monte Carlo noise is the estimates' own spread (large
 * when each campaign's interval is wide). Paired: the same campaign without its effect, drawn
 * with the same random numbers, is subtracted first, which cancels most of that noise and
 * leaves how the estimate answers the effect; an estimate unbiased under no effect (what the
 * false-positive rate checks) is unbiased when both are.
 */
function bias(finals: Scored[], measured: 'net' | 'target') {
  let error = 0;
  let truth = 0;
  let noise = 0;
  const paired: { difference: number; truth: number }[] = [];
  for (const f of finals) {
    const t = f.look.truth[measured];
    if (!(t > 0)) continue;
    const effect = f.effect[measured];
    const none = f.none[measured];
    if (effect.status !== 'ok') continue;
    error += effect.prevented.estimate - t;
    truth += t;
    noise += effect.standardError ** 2;
    if (none.status === 'ok') {
      paired.push({ difference: effect.prevented.estimate - none.prevented.estimate, truth: t });
    }
  }
  const pairedTruth = paired.reduce((sum, p) => sum + p.truth, 0);
  const pairedError = paired.reduce((sum, p) => sum + p.difference - p.truth, 0);
  const meanError = pairedError / Math.max(1, paired.length);
  const spread = paired.reduce((sum, p) => sum + (p.difference - p.truth - meanError) ** 2, 0);
  return {
    plain: truth > 0 ? error / truth : Number.NaN,
    plainNoise: truth > 0 ? Math.sqrt(noise) / truth : Number.NaN,
    paired: pairedTruth > 0 ? pairedError / pairedTruth : Number.NaN,
    pairedNoise: pairedTruth > 0 ? Math.sqrt(spread) / pairedTruth : Number.NaN,
  };
}
