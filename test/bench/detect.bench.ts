import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf';
import poissonCdf from '@stdlib/stats-base-dists-poisson-cdf';
import { upperTail } from '../../src/modules/spikes/count-tail';
import {
  type Calendar,
  DEFAULT_DETECT_OPTIONS,
  flagSpikes,
  type ReasonBaseline,
  reasonBaseline,
} from '../../src/modules/spikes/detect';
import { calendarOf } from '../../src/modules/spikes/season';
import {
  naiveZScoreAlerts,
  type SimulatedReason,
  SPIKE_WEEK_SHARE,
  simulateWorkspace,
  type Tier,
  type Workspace,
} from './support-data';

/**
 * npm run bench:detect — forestall's spike detector on simulated support data that does not
 * share its model (support-data.ts), against a naive z-score (mean + 3 sd of the 8 weeks
 * before, sd at least 1) and an oracle that knows every week's true expected count and
 * variance, held to forestall's false-alert budget: per tier, the better of ranking weeks by
 * their true p-value and by the likelihood ratio of a spike. 60 reasons (20 per volume tier), 3 years;
 * the first year is history and the last two are scored. BENCH_SEED draws other data.
 *
 * Truth: a week is a spike week when the injected excess in it is at least 30% of its
 * expected count (so a spike straddling two weeks counts in each week it really lifts); a
 * week with a smaller injected excess is ambiguous and counts neither way. Every alert in any
 * other week is a false alert, event weeks included (a billing run's usual excess is not a
 * spike). The share of quiet weeks with any alert is measured on three more workspaces drawn
 * without spikes, over the weeks no calendar event touches.
 *
 * "oracle in quiet bar" is the true-p oracle on one tier at its best cut that keeps the
 * quiet-week share (with forestall's alerts in the other tiers) within alpha + 0.03: when it
 * does not beat the naive z-score's raw F1, that bar is out of any detector's reach on the
 * seed, and the multi-seed lines say "beyond the oracle too".
 *
 * BENCH_SEED takes one seed (the full tables), or a list and ranges (`1,2,3`, `1-10`): then a
 * line per seed and how many seeds meet each bar, since one seed's figures move by ±0.03.
 * BENCH_SCORE_FROM=104 scores only the last year, where two years of history stand behind
 * every week.
 */

const SEEDS = seedsOf(process.env.BENCH_SEED ?? '1');
const OPTIONS = {
  ...DEFAULT_DETECT_OPTIONS,
  alpha: Number(process.env.SPIKE_ALPHA ?? DEFAULT_DETECT_OPTIONS.alpha),
};
// The first scored week: 52 leaves a year of history before it; 104 scores only weeks with two.
const EVAL_FROM = Number(process.env.BENCH_SCORE_FROM ?? 52);
if (!Number.isInteger(EVAL_FROM) || EVAL_FROM < 8 || EVAL_FROM > 150) {
  throw new Error('BENCH_SCORE_FROM must be a week from 8 to 150 (52 by default)');
}
const TIERS: Tier[] = ['high', 'medium', 'low'];

type Alerts = Map<string, Set<number>>;
type Score = { tp: number; fp: number; fn: number };

function calendar(ws: Workspace): Calendar {
  const weeks = Array.from({ length: ws.weeks }, (_, w) =>
    new Date(Date.parse(`${ws.start}T00:00:00Z`) + w * 7 * 86_400_000).toISOString().slice(0, 10),
  );
  return calendarOf(weeks, ws.events);
}

function forestall(ws: Workspace, baselines = forestallBaselines(ws)): Alerts {
  const flagged = flagSpikes(
    baselines,
    ws.reasons.map((r) => r.counts),
    { from: EVAL_FROM, to: ws.weeks - 1 },
    OPTIONS,
  );
  const alerts: Alerts = new Map(ws.reasons.map((r) => [r.reason, new Set<number>()]));
  for (const { reason, week } of flagged) alerts.get(ws.reasons[reason]?.reason ?? '')?.add(week);
  return alerts;
}

function forestallBaselines(ws: Workspace): ReasonBaseline[] {
  const cal = calendar(ws);
  return ws.reasons.map((r) => reasonBaseline(r.reason, r.counts, cal));
}

const naive = (ws: Workspace, z: number, reasons = ws.reasons): Alerts =>
  new Map(reasons.map((r) => [r.reason, naiveZScoreAlerts(r.counts, EVAL_FROM, ws.weeks - 1, z)]));

function oracleP(r: SimulatedReason, w: number): number {
  const mean = r.expected[w] ?? 0;
  return upperTail(r.counts[w] ?? 0, mean, (r.variance[w] ?? 0) / Math.max(mean, 1e-9));
}

/**
 * A check on the oracle: minus the likelihood ratio of a spike (the week's true mean times
 * 1.3–3, as injected spikes lift a week) against none, from the same true distributions.
 * Ranking by it rather than by the p-value spends the budget where spikes are likeliest; were
 * it to beat the p-value oracle clearly, that oracle would not be the best a detector can do.
 */
function oracleRatio(r: SimulatedReason, w: number): number {
  const mean = Math.max(r.expected[w] ?? 0, 1e-9);
  const dispersion = (r.variance[w] ?? 0) / mean;
  const y = r.counts[w] ?? 0;
  const pmf = (m: number) => {
    if (dispersion <= 1.0001) return poissonCdf(y, m) - (y > 0 ? poissonCdf(y - 1, m) : 0);
    const size = m / (dispersion - 1);
    const cdf = (k: number) => negativeBinomialCdf(k, size, size / (size + m));
    return cdf(y) - (y > 0 ? cdf(y - 1) : 0);
  };
  const none = Math.max(pmf(mean), 1e-300);
  return -[1.3, 1.6, 2, 2.5, 3].reduce((sum, lift) => sum + pmf(mean * lift) / none, 0);
}

/**
 * An oracle within reach of a detector that reads only the weeks before: it knows each
 * series' shape, trend, event effects and noise, and which past weeks were spikes, but not its
 * level break, whose size it learns from the ratio of observed to expected over the 8 clean
 * weeks before (plus one contact each way). What stays between it and the full oracle is the
 * cost of learning breaks as the weeks come, which no detector can avoid.
 */
function oracleLearningLevel(r: SimulatedReason, w: number): number {
  let observed = 1;
  let expected = 1;
  for (let v = Math.max(0, w - 8); v < w; v++) {
    if ((r.excess[v] ?? 0) > 0) continue;
    observed += r.counts[v] ?? 0;
    expected += r.unbroken[v] ?? 0;
  }
  const dispersion = (r.variance[w] ?? 0) / Math.max(r.expected[w] ?? 0, 1e-9);
  const mean = Math.max(((r.unbroken[w] ?? 0) * observed) / expected, 1e-9);
  const variance = dispersion * mean + (mean * mean * dispersion) / expected;
  return upperTail(r.counts[w] ?? 0, mean, variance / mean);
}

function score(reasons: SimulatedReason[], alerts: Alerts, weeks: number): Score {
  const s: Score = { tp: 0, fp: 0, fn: 0 };
  for (const r of reasons) {
    const flagged = alerts.get(r.reason) ?? new Set<number>();
    for (let w = EVAL_FROM; w < weeks; w++) {
      const truth = r.truth[w];
      if (truth === 'spike') flagged.has(w) ? s.tp++ : s.fn++;
      else if (truth === 'null' && flagged.has(w)) s.fp++;
    }
  }
  return s;
}

const NO_SCORE: Score = { tp: 0, fp: 0, fn: 0 };
const plus = (a: Score, b: Score): Score => ({ tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn });

function f1(s: Score) {
  const precision = s.tp / Math.max(s.tp + s.fp, 1);
  const recall = s.tp / Math.max(s.tp + s.fn, 1);
  return { precision, recall, f: (2 * precision * recall) / Math.max(precision + recall, 1e-9) };
}

type WeekScore = (r: SimulatedReason, w: number) => number;

/** Alerts at the cut of a score (lower alerts first) that spends `budget` false alerts. */
function oracleAtBudget(
  reasons: SimulatedReason[],
  weeks: number,
  budget: number,
  scoreOf: WeekScore = oracleP,
) {
  const nulls: number[] = [];
  for (const r of reasons) {
    for (let w = EVAL_FROM; w < weeks; w++) if (r.truth[w] === 'null') nulls.push(scoreOf(r, w));
  }
  nulls.sort((a, b) => a - b);
  const cut = budget === 0 ? (nulls[0] ?? 0) : (nulls[budget - 1] ?? 1);
  const passes = (value: number) => (budget === 0 ? value < cut : value <= cut);
  const alerts: Alerts = new Map();
  for (const r of reasons) {
    const set = new Set<number>();
    for (let w = EVAL_FROM; w < weeks; w++) if (passes(scoreOf(r, w))) set.add(w);
    alerts.set(r.reason, set);
  }
  return { alerts, cut };
}

/** The naive rule at the smallest z whose false alerts stay within `budget`. */
function naiveAtBudget(ws: Workspace, reasons: SimulatedReason[], budget: number) {
  for (let z = 1; z <= 40; z += 0.25) {
    const alerts = naive(ws, z, reasons);
    if (score(reasons, alerts, ws.weeks).fp <= budget) return { alerts, z };
  }
  return { alerts: new Map() as Alerts, z: Number.POSITIVE_INFINITY };
}

/** `reachable: false` when the oracle itself cannot meet the bar on these data. */
type Check = { bar: string; label: string; met: boolean; reachable?: boolean };
type SeedResult = {
  seed: number;
  checks: Check[];
  ratio: number;
  /** The all-tier F1 of the oracle learning breaks, as a share of the best oracle's. */
  reachable: number;
  /** forestall's all-tier F1 as a share of the oracle learning breaks'. */
  ofReachable: number;
  quiet: number;
  falseAlerts: number;
};

function benchSeed(seed: number, print: (line: string) => void): SeedResult {
  const checks: Check[] = [];
  const ws = simulateWorkspace({ seed });
  const started = performance.now();
  const baselines = forestallBaselines(ws);
  const ours = forestall(ws, baselines);
  const detectMs = performance.now() - started;
  const baselineOf = new Map(ws.reasons.map((r, i) => [r.reason, baselines[i]]));
  // forestall's own p-values under one cut per tier, as the oracle's are: how much of the gap
  // to the oracle is the baseline (expected count and spread) rather than the flagging rule.
  const ourP: WeekScore = (r, w) => {
    const b = baselineOf.get(r.reason);
    return b?.status[w] === 't' ? (b.probability[w] ?? 1) : 1;
  };
  const naiveRaw = naive(ws, 3);
  const quiet = [1, 2, 3].map((i) =>
    simulateWorkspace({ seed: seed * 1000 + i, spikesPerYear: 0 }),
  );
  const quietOurs = quiet.map((q) => forestall(q));
  const quietNaive = quiet.map((q) => naive(q, 3));
  const years = (ws.weeks - EVAL_FROM) / 52.1775;

  const row = (label: string, s: Score, reasons: number) => {
    const { precision, recall, f } = f1(s);
    return `${label.padEnd(24)} ${precision.toFixed(3)}  ${recall.toFixed(3)}  ${f.toFixed(3)}  ${(s.fp / (reasons * years)).toFixed(3)}`;
  };

  /** Share of quiet weeks (no spike, no event) in which any of `reasons` alerts. */
  function quietShare(alertsByWorkspace: Alerts[], tier: Tier | 'all', oracleCut?: number): number {
    let weeks = 0;
    let alerted = 0;
    quiet.forEach((q, i) => {
      const reasons = q.reasons.filter((r) => tier === 'all' || r.tier === tier);
      for (let w = EVAL_FROM; w < q.weeks; w++) {
        if (!q.eventFree[w]) continue;
        weeks++;
        const any = reasons.some((r) =>
          oracleCut === undefined
            ? alertsByWorkspace[i]?.get(r.reason)?.has(w)
            : oracleP(r, w) <= oracleCut,
        );
        if (any) alerted++;
      }
    });
    return alerted / Math.max(weeks, 1);
  }

  /**
   * The true-p oracle on one tier at the best cut the quiet-week bar allows it, with forestall's
   * alerts in the other tiers: what the tier's raw F1 can reach without breaking that bar.
   */
  function oracleWithinQuietBar(tier: Tier): Score {
    const bar = OPTIONS.alpha + 0.03;
    // Per quiet week: whether another tier already alerts, and the tier's smallest true p.
    const quietWeeks: { others: boolean; p: number }[] = [];
    quiet.forEach((q, i) => {
      for (let w = EVAL_FROM; w < q.weeks; w++) {
        if (!q.eventFree[w]) continue;
        let others = false;
        let p = 1;
        for (const r of q.reasons) {
          if (r.tier !== tier) others ||= quietOurs[i]?.get(r.reason)?.has(w) ?? false;
          else p = Math.min(p, oracleP(r, w));
        }
        quietWeeks.push({ others, p });
      }
    });
    const shareAt = (cut: number) =>
      quietWeeks.filter((q) => q.others || q.p <= cut).length / Math.max(quietWeeks.length, 1);
    const weeks: { p: number; truth: string }[] = [];
    for (const r of ws.reasons.filter((x) => x.tier === tier)) {
      for (let w = EVAL_FROM; w < ws.weeks; w++) {
        const truth = r.truth[w] ?? 'null';
        if (truth !== 'ambiguous') weeks.push({ p: oracleP(r, w), truth });
      }
    }
    weeks.sort((a, b) => a.p - b.p);
    const spikes = weeks.filter((x) => x.truth === 'spike').length;
    let best: Score = { tp: 0, fp: 0, fn: spikes };
    let taken: Score = { ...best };
    for (let i = 0; i < weeks.length; i++) {
      const week = weeks[i] as { p: number; truth: string };
      taken =
        week.truth === 'spike'
          ? { ...taken, tp: taken.tp + 1, fn: taken.fn - 1 }
          : { ...taken, fp: taken.fp + 1 };
      if (weeks[i + 1]?.p === week.p) continue;
      if (shareAt(week.p) > bar) break;
      if (f1(taken).f > f1(best).f) best = taken;
    }
    return best;
  }

  print(
    `bench:detect seed ${seed}, alpha ${OPTIONS.alpha}: ${ws.reasons.length} reasons x ${ws.weeks} weeks ` +
      `(daily NB, k 2–50), weeks ${EVAL_FROM}–${ws.weeks - 1} scored; a spike week holds an ` +
      `injected excess >= ${SPIKE_WEEK_SHARE} of its expected count`,
  );
  print(`${'tier / method'.padEnd(24)} prec.  recall F1     false alerts per reason-year`);
  const results = new Map<
    string,
    {
      ours: number;
      oracle: number;
      learning: number;
      naive: number;
      naiveBudget: number;
      withinQuietBar?: number;
    }
  >();
  let oracleAll = NO_SCORE;
  let learningAll = NO_SCORE;
  const oracleCuts = new Map<Tier, number>();
  for (const tier of [...TIERS, 'all'] as const) {
    const reasons = ws.reasons.filter((r) => tier === 'all' || r.tier === tier);
    const s = score(reasons, ours, ws.weeks);
    const n = score(reasons, naiveRaw, ws.weeks);
    let o: Score;
    let nb: Score;
    let ratioOracle: Score | undefined;
    let learning: Score;
    let best: Score;
    let ourCut: Score | undefined;
    let withinQuietBar: Score | undefined;
    let z = '';
    if (tier === 'all') {
      o = oracleAll;
      best = oracleAll;
      learning = learningAll;
      nb = TIERS.reduce((sum, t) => {
        const subset = ws.reasons.filter((r) => r.tier === t);
        const budget = score(subset, ours, ws.weeks).fp;
        return plus(sum, score(subset, naiveAtBudget(ws, subset, budget).alerts, ws.weeks));
      }, NO_SCORE);
    } else {
      const oracle = oracleAtBudget(reasons, ws.weeks, s.fp);
      oracleCuts.set(tier, oracle.cut);
      o = score(reasons, oracle.alerts, ws.weeks);
      ratioOracle = score(
        reasons,
        oracleAtBudget(reasons, ws.weeks, s.fp, oracleRatio).alerts,
        ws.weeks,
      );
      ourCut = score(reasons, oracleAtBudget(reasons, ws.weeks, s.fp, ourP).alerts, ws.weeks);
      learning = score(
        reasons,
        oracleAtBudget(reasons, ws.weeks, s.fp, oracleLearningLevel).alerts,
        ws.weeks,
      );
      learningAll = plus(learningAll, learning);
      withinQuietBar = oracleWithinQuietBar(tier);
      // The bars are held to the better of the two oracles: the best a detector can do.
      best = f1(ratioOracle).f > f1(o).f ? ratioOracle : o;
      oracleAll = plus(oracleAll, best);
      const matched = naiveAtBudget(ws, reasons, s.fp);
      nb = score(reasons, matched.alerts, ws.weeks);
      z = ` (z ${matched.z})`;
    }
    results.set(tier, {
      ours: f1(s).f,
      oracle: f1(best).f,
      learning: f1(learning).f,
      naive: f1(n).f,
      naiveBudget: f1(nb).f,
      withinQuietBar: withinQuietBar && f1(withinQuietBar).f,
    });
    print(`\n${tier}: ${reasons.length} reasons`);
    print(row('  forestall', s, reasons.length));
    print(
      row(tier === 'all' ? '  oracle, better of two' : '  oracle, same budget', o, reasons.length),
    );
    if (ratioOracle) print(row('  oracle by LR, same', ratioOracle, reasons.length));
    print(row('  oracle learning breaks', learning, reasons.length));
    if (ourCut) print(row('  forestall p, one cut', ourCut, reasons.length));
    if (withinQuietBar) print(row('  oracle in quiet bar', withinQuietBar, reasons.length));
    print(row('  naive z-score (3 sd)', n, reasons.length));
    print(row(`  naive, same budget${z}`, nb, reasons.length));
    const share = quietShare(quietOurs, tier);
    const shareNaive = quietShare(quietNaive, tier);
    const shareOracle = tier === 'all' ? undefined : quietShare([], tier, oracleCuts.get(tier));
    print(
      `  quiet weeks with any alert: forestall ${share.toFixed(3)}, naive ${shareNaive.toFixed(3)}` +
        (shareOracle === undefined ? '' : `, oracle ${shareOracle.toFixed(3)}`),
    );
  }

  const all = results.get('all');
  const allFalse = score(ws.reasons, ours, ws.weeks).fp / (ws.reasons.length * years);
  const allShare = quietShare(quietOurs, 'all');
  checks.push({
    bar: 'all tiers >= 0.85 x oracle',
    label: `all tiers: F1 ${all?.ours.toFixed(3)} >= 0.85 x best oracle ${all?.oracle.toFixed(3)}`,
    met: (all?.ours ?? 0) >= 0.85 * (all?.oracle ?? 1),
  });
  for (const tier of TIERS) {
    const r = results.get(tier);
    if (!r) continue;
    checks.push({
      bar: `${tier} >= 0.8 x oracle`,
      label: `${tier}: F1 ${r.ours.toFixed(3)} >= 0.8 x best oracle ${r.oracle.toFixed(3)}`,
      met: r.ours >= 0.8 * r.oracle,
    });
    checks.push({
      bar: `${tier} > naive, raw and at equal false alerts`,
      label:
        `${tier}: F1 ${r.ours.toFixed(3)} > naive ${r.naive.toFixed(3)} and > naive at equal false alerts ${r.naiveBudget.toFixed(3)}` +
        ` (the oracle's best within the quiet-week bar: ${r.withinQuietBar?.toFixed(3)})`,
      met: r.ours > r.naive && r.ours > r.naiveBudget,
      reachable: (r.withinQuietBar ?? 1) > r.naive,
    });
  }
  checks.push({
    bar: 'quiet weeks with an alert <= alpha + 0.03',
    label: `quiet weeks with any of ${ws.reasons.length} reasons alerting: ${allShare.toFixed(3)} <= alpha + 0.03`,
    met: allShare <= OPTIONS.alpha + 0.03,
  });
  checks.push({
    bar: 'false alerts per reason-year <= 0.5',
    label: `false alerts per reason-year ${allFalse.toFixed(3)} <= 0.5`,
    met: allFalse <= 0.5,
  });

  print(
    `\nDetection: ${detectMs.toFixed(0)} ms for ${ws.reasons.length} reasons x ${ws.weeks} weeks`,
  );
  for (const { label, met } of checks) print(`${met ? 'met    ' : 'NOT MET'} ${label}`);
  return {
    seed,
    checks,
    ratio: (all?.ours ?? 0) / (all?.oracle ?? 1),
    reachable: (all?.learning ?? 0) / (all?.oracle ?? 1),
    ofReachable: (all?.ours ?? 0) / (all?.learning ?? 1),
    quiet: allShare,
    falseAlerts: allFalse,
  };
}

/** `1`, `1,2,3`, `1-10` or a mix: the seeds in the order given. */
function seedsOf(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    const from = Number(match?.[1]);
    const to = Number(match?.[2] ?? match?.[1]);
    if (!match || to < from) {
      throw new Error(`BENCH_SEED must be seeds or ranges such as 1,2,3 or 1-10, not "${text}"`);
    }
    for (let seed = from; seed <= to; seed++) seeds.push(seed);
  }
  return seeds;
}

if (SEEDS.length === 1) benchSeed(SEEDS[0] ?? 1, console.log);
else {
  console.log(`bench:detect seeds ${SEEDS.join(', ')}, alpha ${OPTIONS.alpha}`);
  const bySeed = SEEDS.map((seed) => benchSeed(seed, () => {}));
  for (const r of bySeed) {
    const failed = r.checks
      .filter((c) => !c.met)
      .map((c) => (c.reachable === false ? `${c.bar} (beyond the oracle too)` : c.bar));
    console.log(
      `seed ${String(r.seed).padEnd(3)} all tiers ${r.ratio.toFixed(3)} x oracle ` +
        `(an oracle learning breaks: ${r.reachable.toFixed(3)}, forestall ` +
        `${r.ofReachable.toFixed(3)} of it), quiet weeks ` +
        `with an alert ${r.quiet.toFixed(3)}, false alerts per reason-year ` +
        `${r.falseAlerts.toFixed(3)}${failed.length ? `; not met: ${failed.join('; ')}` : '; every bar met'}`,
    );
  }
  const mean = (f: (r: SeedResult) => number) =>
    (bySeed.reduce((sum, r) => sum + f(r), 0) / bySeed.length).toFixed(3);
  console.log(
    `\nmean over ${bySeed.length} seeds: all tiers ${mean((r) => r.ratio)} x oracle ` +
      `(an oracle learning breaks: ${mean((r) => r.reachable)}, forestall ` +
      `${mean((r) => r.ofReachable)} of it), quiet ` +
      `${mean((r) => r.quiet)}, false alerts per reason-year ${mean((r) => r.falseAlerts)}`,
  );
  for (const [i, { bar }] of (bySeed[0]?.checks ?? []).entries()) {
    const met = bySeed.filter((r) => r.checks[i]?.met).length;
    console.log(
      `${met === bySeed.length ? 'met    ' : 'NOT MET'} ${bar}: ${met} of ${bySeed.length} seeds`,
    );
  }
}
