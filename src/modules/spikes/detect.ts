import {
  type CountFit,
  fitCountModel,
  fittedMeans,
  quadratic,
  type SparseRow,
} from './count-model';
import { upperTail } from './count-tail';
import { SEASON_PERIODS } from './season';

/**
 * Weekly spike detection (DESIGN.md section 5). For every week t of a reason, from the weeks
 * before t and the calendar only:
 *   - the reason's history starts after its last silence of 26+ weeks, or where its volume
 *     really began (a run of busy weeks at 4x the rate of the stray tickets before it); with
 *     fewer than 8 weeks of contacts in the year before t, or under 8 weeks since that start,
 *     the reason is new and t is not tested;
 *   - from 26 weeks of history, a quasi-Poisson count model (Farrington flexible / Noufaily):
 *     intercept, seasonal factor levels (four-week periods of the year, a ridge-shrunk random
 *     walk, once a year of history exists), a year-end term, and event terms (see
 *     `eventGroups`), so event weeks explain themselves instead of shaping the seasonal
 *     baseline and each event's usual effect is learned from its past occurrences. Fitted on
 *     up to 156 weeks before the block of 26 weeks holding t (blocks are fixed on the
 *     calendar, so the fit never depends on the range asked for), upward outliers
 *     down-weighted as Noufaily et al. do, data anomalies and extreme weeks left out (see
 *     `excludeIfExtreme`);
 *   - a level correction from the 8 weeks before t (a Huber M-estimate), so a level break is
 *     followed within weeks rather than at the next refit;
 *   - under 26 weeks, an EARS-style baseline from the clean weeks among the last 12;
 *   - the p-value of the observed count under a negative binomial whose variance carries the
 *     overdispersion (measured robustly, on level-tracked predictions) and the baseline's own
 *     uncertainty (a predictive, not plug-in, tail), against the usual count: the baseline
 *     plus the usual effect of that week's events.
 * Spikes are then the weeks whose p-values pass a weighted Benjamini–Hochberg step-up at
 * level α over every reason tested that week (`flagSpikes`).
 */

export type EventTerm = {
  eventId: string;
  title: string;
  kind: string;
  /** Effect groups (see `eventGroups`); an event's usual effect is the sum of theirs. */
  groups: string[];
  /**
   * Share of each week (0–1) inside the event's padded windows, aligned with the series (a
   * typed array crosses to the detection thread as one copy, not element by element).
   */
  overlap: ArrayLike<number>;
  /** Reasons the event is known to affect; empty means it may affect any reason. */
  reasons: string[];
};

export type Calendar = {
  /** Seasonal period of each week of the series (the four-week period of the year, `seasonOf`). */
  season: number[];
  /** Share of each week between Christmas Eve and New Year's Day: a term of its own. */
  yearEnd: number[];
  /** Absolute number of the series' first week (weeks since an epoch Monday). */
  firstWeek: number;
  events: EventTerm[];
};

export type DetectOptions = { alpha: number; minExcess: number };
export const DEFAULT_DETECT_OPTIONS: DetectOptions = { alpha: 0.1, minExcess: 3 };

export type Attribution = {
  eventId: string;
  title: string;
  kind: string;
  share: number;
  contacts: number;
  /** `model`: the usual effect learned from earlier occurrences; `overlap`: first sight. */
  method: 'model' | 'overlap';
};

export type Explanation = { attributions: Attribution[]; unexplained: number };

/** `t` tested, `n` new (insufficient history), `a` data anomaly, `-` nothing yet. */
export type WeekStatus = 't' | 'n' | 'a' | '-';

export type ReasonBaseline = {
  reason: string;
  status: WeekStatus[];
  /** Expected contacts without any event. */
  expected: Float64Array;
  /** Expected contacts with the usual effect of that week's events: what is tested against. */
  usual: Float64Array;
  probability: Float64Array;
  /** Variance of the predictive distribution the p-value is taken from. */
  variance: Float64Array;
  /** Weeks of history behind each week's verdict. */
  history: Int32Array;
  stage: ('short' | 'model' | null)[];
  /** Why a week rose, for weeks above their usual count with p < 0.05. */
  explanations: Map<number, Explanation>;
};

const MIN_ACTIVE_WEEKS = 8;
const MODEL_HISTORY = 26;
const SILENCE_WEEKS = 26;
const TRAINING_WEEKS = 156;
const BLOCK_WEEKS = 26;
const LEVEL_WEEKS = 8;
const LEVEL_PRIOR = 10;
const LEVEL_CLIP = 4;
const SEASON_LEVEL = 1 / 0.3 ** 2;
const SEASON_STEP = 1 / 0.15 ** 2;
const EVENT_PENALTY = 1;
const OUTLIER_RESIDUAL = 2.58;
// E[Z² | |Z| < 2.58] for a normal Z: the spread left once upward outliers are set aside.
const TRUNCATED_SPREAD = 0.95;
const START_RATIO = 4;
const EXPLAIN_BELOW = 0.05;
// A week this far outside its prediction, either way (p below this in one tail), stays out of
// later baselines: a spike must not lift them, nor a dip sink them. Three weeks in a row on the
// same side, each at p < 0.05, are a level change instead, which the baselines must follow.
const EXTREME = 0.003;
const LEVEL_CHANGE_P = 0.05;
const LEVEL_CHANGE_RUN = 3;
// Variance (log scale) of the baseline's error that the fit's covariance does not see: a
// seasonal shape learnt from one or two years, an event effect from a few occurrences.
// bench:detect's quiet weeks are what set it (about 12%).
const BASELINE_ERROR = 0.015;
// The year-end dip is seasonal, not an event: its term shapes the expected count itself.
const YEAR_END = 'season:year-end';
const WEIGHT_POWER = 0.25;
// An event group touching more than this share of a window's weeks (a daily deploy, a weekly
// release, thousands of one-off entries of a kind) is what those weeks usually hold, not a
// departure from it: with the event weeks in the majority there is no usual level without it
// to measure its effect against (its term would be the intercept under another name), and
// setting its weeks aside would leave the baseline to the minority, or to none. Such a group
// is part of the baseline for that window: its weeks shape it, it has no effect term, and it
// explains no excess. Half is where the event's weeks become the typical week (the median
// week has it); a monthly run of a few days touches about a third of weeks, a yearly event or
// a holiday a few in a hundred, so those keep their terms.
const COMMON_SHARE = 0.5;

/**
 * The groups whose effects make up an event's: a recurring event is its own group; a one-off
 * event shares one with every event of its kind and one with those of the same title, digits
 * aside (each year's "Christmas Day", every "Election day 2024-…"), so a holiday learns its
 * own effect from last year's and a new kind of election day starts from the kind's.
 */
export function eventGroups(event: {
  id: string;
  kind: string;
  title: string;
  recurring: boolean;
}): string[] {
  if (event.recurring) return [`event:${event.id}`];
  const title = event.title.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
  return [`kind:${event.kind}`, `title:${event.kind}:${title}`];
}

export function applicableEvents(events: EventTerm[], reason: string): EventTerm[] {
  return events.filter((e) => e.reasons.length === 0 || e.reasons.includes(reason));
}

/** Baseline, usual count, p-value and status of every week of one reason's series. */
export function reasonBaseline(
  reason: string,
  counts: number[],
  calendar: Calendar,
  anomalies: ReadonlySet<number> = new Set(),
): ReasonBaseline {
  const n = counts.length;
  const events = applicableEvents(calendar.events, reason);
  const groups = groupsOf(events, calendar, n);
  const result: ReasonBaseline = {
    reason,
    status: new Array<WeekStatus>(n).fill('-'),
    expected: new Float64Array(n),
    usual: new Float64Array(n),
    probability: new Float64Array(n).fill(1),
    variance: new Float64Array(n),
    history: new Int32Array(n),
    stage: new Array(n).fill(null),
    explanations: new Map(),
  };
  const active = new Int32Array(n + 1);
  const total = new Float64Array(n + 1);
  for (let w = 0; w < n; w++) {
    active[w + 1] = (active[w] ?? 0) + ((counts[w] ?? 0) > 0 ? 1 : 0);
    total[w + 1] = (total[w] ?? 0) + (counts[w] ?? 0);
  }
  const models = new Map<number, Model>();
  // Data anomalies and extreme weeks: left out of every later fit, level and short baseline.
  const excluded = new Set(anomalies);
  let run = { side: 0, weeks: 0, last: -1 };
  // Where the level last changed: the level correction looks no further back than that.
  let levelSince = 0;
  let previous: Terms | undefined;
  let silenceEnd = -1;
  let zeros = 0;
  for (let t = 0; t < n; t++) {
    if (t > 0) {
      if ((counts[t - 1] ?? 0) > 0) {
        if (silenceEnd < 0 || zeros >= SILENCE_WEEKS) silenceEnd = t - 1;
        zeros = 0;
      } else zeros++;
    }
    if (silenceEnd < 0) {
      if ((counts[t] ?? 0) > 0) result.status[t] = 'n';
      continue;
    }
    const start = realStart(counts, total, silenceEnd, t);
    const history = t - start;
    result.history[t] = history;
    const recent = (active[t] ?? 0) - (active[Math.max(start, t - 52)] ?? 0);
    if (recent < MIN_ACTIVE_WEEKS || history < MIN_ACTIVE_WEEKS) {
      result.status[t] = 'n';
      // What it lacks: weeks with contacts in the year before (of `MIN_ACTIVE_WEEKS` needed).
      result.history[t] = Math.min(history, recent);
      continue;
    }
    let baseline: Prediction | undefined;
    // What t is tested against when it differs from the baseline that tracks the level.
    let provisional: Prediction | undefined;
    const block = blockStart(t, calendar.firstWeek);
    if (history >= MODEL_HISTORY && block - start >= BLOCK_WEEKS) {
      // A number, not a string: this runs for every week (block ≥ -26, start < 4096).
      const key = (block + BLOCK_WEEKS) * 4096 + start;
      let model = models.get(key);
      if (!model) {
        model = fitModel(counts, groups, calendar.season, excluded, start, block, previous);
        models.set(key, model);
        previous = model.terms;
      }
      baseline = model.predict(t, counts, excluded, Math.max(start, levelSince));
      if (baseline) result.stage[t] = 'model';
      if (baseline && followsRise(result, run, t)) {
        const kept = new Set(excluded);
        for (let w = t - run.weeks; w < t; w++) if (!anomalies.has(w)) kept.delete(w);
        provisional = model.predict(t, counts, kept, t - run.weeks);
      }
    }
    if (!baseline) {
      baseline = shortBaseline(counts, groups, excluded, start, t);
      result.stage[t] = 'short';
    }
    const observed = counts[t] ?? 0;
    const tailOf = (b: Prediction) =>
      upperTail(observed, b.usual, b.variance / Math.max(b.usual, 1e-9));
    // The level is tracked (extreme weeks, level changes) against the usual baseline, so a
    // provisional verdict changes no later week's.
    const tracked = tailOf(baseline);
    const now = excludeIfExtreme(excluded, anomalies, run, t, observed - baseline.usual, tracked);
    run = { side: now.side, weeks: now.weeks, last: t };
    if (run.weeks === LEVEL_CHANGE_RUN) levelSince = t - LEVEL_CHANGE_RUN + 1;
    if (provisional) baseline = provisional;
    const probability = provisional ? tailOf(provisional) : tracked;
    result.expected[t] = baseline.expected;
    result.usual[t] = baseline.usual;
    result.variance[t] = baseline.variance;
    result.status[t] = anomalies.has(t) ? 'a' : 't';
    result.probability[t] = probability;
    if (observed > baseline.usual && probability < EXPLAIN_BELOW) {
      result.explanations.set(t, explain(observed, baseline, events, t));
    }
  }
  return result;
}

/**
 * Whether t comes right after two weeks in a row far above their usual counts (each extreme):
 * a spike seldom lasts into a third week, a rise in level does, so t is tested against the
 * level those two weeks suggest rather than the one before them.
 */
function followsRise(
  result: ReasonBaseline,
  run: { side: number; weeks: number; last: number },
  t: number,
): boolean {
  return (
    run.side > 0 &&
    run.weeks === LEVEL_CHANGE_RUN - 1 &&
    run.last === t - 1 &&
    (result.probability[t - 1] ?? 1) < EXTREME &&
    (result.probability[t - 2] ?? 1) < EXTREME
  );
}

/**
 * Leaves week t out of later baselines when its count is extreme in either tail, unless it
 * completes a run of `LEVEL_CHANGE_RUN` unusual weeks on the same side: then the run is a
 * level change and goes back in. Returns the run as it now stands.
 */
function excludeIfExtreme(
  excluded: Set<number>,
  anomalies: ReadonlySet<number>,
  run: { side: number; weeks: number },
  t: number,
  excess: number,
  upperTail: number,
): { side: number; weeks: number } {
  const side = Math.sign(excess);
  const tail = side > 0 ? upperTail : 1 - upperTail;
  if (side === 0 || tail >= LEVEL_CHANGE_P) return { side: 0, weeks: 0 };
  const weeks = side === run.side ? run.weeks + 1 : 1;
  if (weeks >= LEVEL_CHANGE_RUN) {
    for (let w = t - weeks + 1; w < t; w++) if (!anomalies.has(w)) excluded.delete(w);
  } else if (tail < EXTREME) excluded.add(t);
  return { side, weeks };
}

/**
 * Weeks (per reason) whose p-value passes a weighted Benjamini–Hochberg step-up over the
 * reasons tested that week (Genovese, Roeder & Wasserman 2006: p/w ranked, weights averaging
 * one, so the false-discovery rate is still held at α). A reason's weight falls with its usual
 * count: a busy reason's real spikes are many standard deviations high and pass a strict cut
 * anyway, while a quiet reason's are a few contacts over one or two and need a looser one.
 */
export function flagSpikes(
  baselines: ReasonBaseline[],
  counts: number[][],
  weeks: { from: number; to: number },
  options: DetectOptions,
): { reason: number; week: number }[] {
  const flagged: { reason: number; week: number }[] = [];
  for (let week = weeks.from; week <= weeks.to; week++) {
    // Every reason tested that week counts in m and the weights; only those far enough
    // above their usual count are candidates (a plain loop: this runs weeks × reasons).
    const above: { reason: number; probability: number; weight: number }[] = [];
    let weightSum = 0;
    let m = 0;
    for (const [reason, b] of baselines.entries()) {
      if (b.status[week] !== 't') continue;
      const usual = b.usual[week] ?? 0;
      const weight = (usual + 1) ** -WEIGHT_POWER;
      weightSum += weight;
      m++;
      const excess = (counts[reason]?.[week] ?? 0) - usual;
      if (excess >= options.minExcess) {
        above.push({ reason, probability: b.probability[week] ?? 1, weight });
      }
    }
    if (above.length === 0) continue;
    const candidates = above
      .map((c) => ({ reason: c.reason, q: (c.probability * weightSum) / (c.weight * m) }))
      .sort((a, b) => a.q - b.q || a.reason - b.reason);
    let k = 0;
    candidates.forEach((c, i) => {
      if (c.q <= ((i + 1) * options.alpha) / m) k = i + 1;
    });
    for (const c of candidates.slice(0, k)) flagged.push({ reason: c.reason, week });
  }
  return flagged;
}

export function severityOf(observed: number, usual: number, probability: number) {
  if (observed >= 3 * usual || probability < 1e-6) return 'high' as const;
  if (observed >= 2 * usual || probability < 1e-4) return 'medium' as const;
  return 'low' as const;
}

/** Week number (since an epoch Monday) where the 13-week block holding `t` starts. */
function blockStart(t: number, firstWeek: number): number {
  const absolute = firstWeek + t;
  return absolute - (((absolute % BLOCK_WEEKS) + BLOCK_WEEKS) % BLOCK_WEEKS) - firstWeek;
}

/**
 * Where the reason's volume really began before t: the earliest week of the busy run
 * (every week ≥ 2 contacts) ending at t−1 whose every week holds at least 4x the weekly rate
 * of the stray tickets since `from`; `from` when there is none.
 */
function realStart(counts: number[], total: Float64Array, from: number, t: number): number {
  let start = from;
  let least = Number.POSITIVE_INFINITY;
  for (let s = t - 1; s > from && t - s <= TRAINING_WEEKS; s--) {
    const count = counts[s] ?? 0;
    if (count < 2) break;
    least = Math.min(least, count);
    const before = ((total[s] ?? 0) - (total[from] ?? 0)) / (s - from);
    if (t - s >= 2 && least >= START_RATIO * before) start = s;
  }
  return start;
}

type Group = { key: string; overlap: Float64Array; events: EventTerm[] };

// Reasons with the same applicable events share their groups (read only), and with them the
// design of every model window (see `designOf`), so overlaps are summed and rows built once
// per calendar rather than once per reason. Keyed by the calendar's year-end shares (one
// array per calendar) and the events' numbers: a calendar is not changed once built.
const groupsByCalendar = new WeakMap<number[], Map<string, Group[]>>();
const eventNumbers = new WeakMap<EventTerm, number>();
let eventCount = 0;

function groupsOf(events: EventTerm[], calendar: Calendar, n: number): readonly Group[] {
  const numberOf = (e: EventTerm) => {
    let number = eventNumbers.get(e);
    if (number === undefined) {
      number = eventCount++;
      eventNumbers.set(e, number);
    }
    return number;
  };
  const key = `${n}:${events.map(numberOf).join(',')}`;
  let cached = groupsByCalendar.get(calendar.yearEnd);
  if (!cached) {
    cached = new Map();
    groupsByCalendar.set(calendar.yearEnd, cached);
  }
  let groups = cached.get(key);
  if (!groups) {
    const byKey = new Map<string, Group>();
    for (const e of events) {
      for (const key of e.groups) {
        let group = byKey.get(key);
        if (!group) {
          group = { key, overlap: new Float64Array(n), events: [] };
          byKey.set(key, group);
        }
        group.events.push(e);
        for (let w = 0; w < n; w++) {
          group.overlap[w] = Math.min(1, (group.overlap[w] ?? 0) + (e.overlap[w] ?? 0));
        }
      }
    }
    groups = [...byKey.values()];
    if (calendar.yearEnd.some((v) => v > 0)) {
      groups.push({ key: YEAR_END, overlap: Float64Array.from(calendar.yearEnd), events: [] });
    }
    cached.set(key, groups);
  }
  return groups;
}

/**
 * What a model window's fit is built from, whatever the reason's counts: the groups its
 * weeks touch, its rows (intercept, seasonal level, event overlaps) and term names.
 */
type Design = {
  seen: Group[];
  unseenGroups: Group[];
  /** Groups touching most of the window's weeks: part of its baseline (`COMMON_SHARE`). */
  common: ReadonlySet<string>;
  rows: SparseRow[];
  names: string[];
};

const designs = new WeakMap<readonly Group[], Map<number, Design>>();

function designOf(
  groups: readonly Group[],
  season: number[],
  from: number,
  block: number,
  seasonal: boolean,
): Design {
  let byWindow = designs.get(groups);
  if (!byWindow) {
    byWindow = new Map();
    designs.set(groups, byWindow);
  }
  // from < block ≤ 2^20 weeks: one number for the window.
  const key = (from * 2 ** 20 + block) * 2 + (seasonal ? 1 : 0);
  let design = byWindow.get(key);
  if (design) return design;
  const seen: Group[] = [];
  const common = commonGroups(groups, from, block);
  for (const g of groups) {
    if (common.has(g.key)) continue;
    for (let w = from; w < block; w++) {
      if ((g.overlap[w] ?? 0) > 0) {
        seen.push(g);
        break;
      }
    }
  }
  const seasonColumns = seasonal ? SEASON_PERIODS : 0;
  const rows: SparseRow[] = [];
  for (let w = from; w < block; w++) rows.push(rowOf(w, seen, season, seasonColumns, true));
  const names = ['intercept'];
  for (let s = 0; s < seasonColumns; s++) names.push(`season:${s}`);
  for (const g of seen) names.push(g.key);
  const unseenGroups = groups.filter((g) => !seen.includes(g) && !common.has(g.key));
  design = { seen, unseenGroups, common, rows, names };
  byWindow.set(key, design);
  return design;
}

/** Keys of the groups touching more than `COMMON_SHARE` of the weeks in [from, to). */
function commonGroups(groups: readonly Group[], from: number, to: number): ReadonlySet<string> {
  let common: Set<string> | undefined;
  for (const g of groups) {
    if (g.key === YEAR_END) continue;
    let touched = 0;
    for (let w = from; w < to; w++) if ((g.overlap[w] ?? 0) > 0) touched++;
    if (touched > COMMON_SHARE * (to - from)) {
      common ??= new Set();
      common.add(g.key);
    }
  }
  return common ?? NO_GROUPS;
}

/** Week w's row: the intercept, its seasonal level, and (`withEvents`) the seen groups. */
function rowOf(
  w: number,
  seen: Group[],
  season: number[],
  seasonColumns: number,
  withEvents: boolean,
): SparseRow {
  const index = [0];
  const value = [1];
  if (seasonColumns > 0) {
    index.push(1 + (season[w] ?? 0));
    value.push(1);
  }
  if (withEvents) {
    for (let i = 0; i < seen.length; i++) {
      const x = seen[i]?.overlap[w] ?? 0;
      if (x > 0) {
        index.push(1 + seasonColumns + i);
        value.push(x);
      }
    }
  }
  return { index, value };
}

type Prediction = {
  expected: number;
  usual: number;
  variance: number;
  /** Learned multiplicative effect (log scale) of each event group in the model. */
  effects: ReadonlyMap<string, number>;
  /** Groups that are part of the baseline here (`COMMON_SHARE`): they explain nothing. */
  common: ReadonlySet<string>;
};

// Most weeks have no event: their predictions share one empty map rather than each its own.
const NO_EFFECTS: ReadonlyMap<string, number> = new Map();
const NO_GROUPS: ReadonlySet<string> = new Set();

/**
 * A model's coefficients by term (`intercept`, `season:<period>`, event group keys) and the
 * week its history started.
 */
type Terms = { names: string[]; beta: Float64Array; start: number };

type Model = {
  fit: CountFit;
  terms: Terms;
  predict(
    t: number,
    counts: number[],
    excluded: ReadonlySet<number>,
    /** The first week the level correction may look at. */
    levelFrom: number,
  ): Prediction | undefined;
};

function fitModel(
  counts: number[],
  groups: readonly Group[],
  season: number[],
  anomalies: ReadonlySet<number>,
  start: number,
  block: number,
  previous: Terms | undefined,
): Model {
  const from = Math.max(start, block - TRAINING_WEEKS);
  const seasonal = block - from >= 52;
  const { seen, unseenGroups, common, rows, names } = designOf(
    groups,
    season,
    from,
    block,
    seasonal,
  );
  const seasonColumns = seasonal ? SEASON_PERIODS : 0;
  const p = 1 + seasonColumns + seen.length;
  const y: number[] = [];
  const weights: number[] = [];
  for (let w = from; w < block; w++) {
    y.push(counts[w] ?? 0);
    weights.push(anomalies.has(w) ? 0 : 1);
  }
  // The previous block's model (same history start) finds this window's outliers well
  // enough, which saves a fit: outlier weights read only the intercept and seasonal terms, and
  // an event group it has not seen yet starts at no effect. Without its seasonal terms (the
  // first block, the first year of seasons) the window is fitted first, from what it has.
  const carried = previous?.start === start ? carriedOver(previous, names) : undefined;
  const first =
    carried && (!seasonal || previous?.names.includes('season:0'))
      ? { beta: carried, mu: fittedMeans(rows, carried) }
      : fitCountModel(rows, y, weights, penaltyOf(p, seasonColumns, 1), p, carried, false);
  const firstDispersion = robustDispersion(y, first.mu, weights);
  // Past spikes must not lift the baseline: upward outliers get weight (2.58 / residual)².
  // Event weeks keep theirs: how far they rise is the event's effect, which is learned.
  const robust = weights.map((weight, i) => {
    if ((rows[i]?.index.length ?? 0) > (seasonal ? 2 : 1)) return weight;
    const m = first.mu[i] ?? 0;
    const residual = ((y[i] ?? 0) - m) / Math.sqrt(firstDispersion * m);
    return residual > OUTLIER_RESIDUAL ? weight * (OUTLIER_RESIDUAL / residual) ** 2 : weight;
  });
  const penalty = penaltyOf(p, seasonColumns, firstDispersion);
  const fit = fitCountModel(rows, y, robust, penalty, p, first.beta);
  // Weeks taken for outliers count neither in the fit's spread nor in the tracked one.
  const inliers = robust.map((w) => (w === 1 ? 1 : 0));
  const pearson = dispersionOf(y, fit.mu, inliers, fit.parameters) / TRUNCATED_SPREAD;
  // Weeks touched by an event the fit never saw, worked out once each (-1: not yet).
  const unseenWeeks = new Int8Array(counts.length).fill(-1);
  const unseen = (w: number) => {
    let known = unseenWeeks[w] ?? -1;
    if (known < 0) {
      known = unseenGroups.some((g) => (g.overlap[w] ?? 0) > 0) ? 1 : 0;
      unseenWeeks[w] = known;
    }
    return known === 1;
  };
  // `linear(rowOf(w, withEvents), fit.beta)`, term by term in the same order, without the row.
  const etaOf = (w: number, withEvents: boolean) => {
    const beta = fit.beta;
    let eta = 0;
    eta += 1 * (beta[0] ?? 0);
    if (seasonal) eta += 1 * (beta[1 + (season[w] ?? 0)] ?? 0);
    if (withEvents) {
      for (let i = 0; i < seen.length; i++) {
        const x = seen[i]?.overlap[w] ?? 0;
        if (x > 0) eta += x * (beta[1 + seasonColumns + i] ?? 0);
      }
    }
    return Math.min(20, Math.max(-20, eta));
  };
  // Weeks of the block the model predicts for, each worked out once (NaN: not yet): every
  // week's level correction reads the eight before it.
  const ahead = new Float64Array(BLOCK_WEEKS).fill(Number.NaN);
  const fitted = (w: number) => {
    const i = w - block;
    if (i < 0 || i >= BLOCK_WEEKS) return Math.exp(etaOf(w, true));
    let m = ahead[i] ?? Number.NaN;
    if (Number.isNaN(m)) {
      m = Math.exp(etaOf(w, true));
      ahead[i] = m;
    }
    return m;
  };
  // The level of the weeks before t against the model's prediction for them: a Huber
  // M-estimate (each week clipped at 4 sd around the level, starting from the median ratio).
  // Spikes are already left out as extreme weeks, so the clip only tames what falls just short
  // of that, and a level break is followed within a few weeks.
  const ys = new Float64Array(LEVEL_WEEKS);
  const ms = new Float64Array(LEVEL_WEEKS);
  const ratios = new Float64Array(LEVEL_WEEKS);
  // An unseen group that touches most of the weeks the level is read from is part of that
  // level (`COMMON_SHARE`): its weeks are read, and the level carries its effect.
  const commonSince = (t: number, first: number) =>
    unseenGroups.length === 0
      ? NO_GROUPS
      : commonGroups(unseenGroups, Math.max(first, t - LEVEL_WEEKS), t);
  const levelAt = (t: number, series: number[], excluded: ReadonlySet<number>, first: number) => {
    let k = 0;
    let predicted = 0;
    const read = commonSince(t, first);
    const skip =
      read.size === 0
        ? unseen
        : (w: number) => unseenGroups.some((g) => !read.has(g.key) && (g.overlap[w] ?? 0) > 0);
    for (let w = Math.max(first, t - LEVEL_WEEKS); w < t; w++) {
      if (excluded.has(w) || skip(w)) continue;
      const m = w >= from && w < block ? (fit.mu[w - from] ?? 0) : fitted(w);
      ys[k] = series[w] ?? 0;
      ms[k] = m;
      ratios[k] = ((series[w] ?? 0) + 0.5) / (m + 0.5);
      predicted += m;
      k++;
    }
    if (k === 0) return { level: 1, predicted, read };
    // The median ratio: an insertion sort of at most 8 values.
    for (let i = 1; i < k; i++) {
      const ratio = ratios[i] ?? 0;
      let j = i - 1;
      for (; j >= 0 && (ratios[j] ?? 0) > ratio; j--) ratios[j + 1] = ratios[j] ?? 0;
      ratios[j + 1] = ratio;
    }
    const mid = k >> 1;
    let level = k % 2 ? (ratios[mid] ?? 0) : ((ratios[mid - 1] ?? 0) + (ratios[mid] ?? 0)) / 2;
    for (let round = 0; round < 3; round++) {
      let observed = 0;
      for (let i = 0; i < k; i++) {
        const m = level * (ms[i] ?? 0);
        const reach = LEVEL_CLIP * Math.sqrt(pearson * m + 0.25);
        observed += Math.min(Math.max(ys[i] ?? 0, m - reach), m + reach);
      }
      level = (observed + LEVEL_PRIOR) / (predicted + LEVEL_PRIOR);
    }
    return { level, predicted, read };
  };
  // Overdispersion as the level-tracked prediction meets the last year of training: the noise
  // a prediction faces, without the misfit a level break leaves in the fit's own residuals.
  let spread = 0;
  let spreadWeight = 0;
  for (let w = Math.max(from + LEVEL_WEEKS, block - 52); w < block; w++) {
    const weight = inliers[w - from] ?? 0;
    if (weight === 0) continue;
    const m = levelAt(w, counts, anomalies, from).level * (fit.mu[w - from] ?? 0);
    spread += (weight * ((counts[w] ?? 0) - m) ** 2) / Math.max(m, 1e-6);
    spreadWeight += weight;
  }
  const dispersion =
    spreadWeight >= 13 ? Math.max(1, spread / spreadWeight / TRUNCATED_SPREAD) : pearson;

  return {
    fit,
    terms: { names, beta: fit.beta, start },
    predict(t, series, excluded, levelFrom) {
      // `read`: the groups the level read as part of it (they explain nothing either).
      const { level, predicted, read } = levelAt(t, series, excluded, levelFrom);
      const full = rowOf(t, seen, season, seasonColumns, true);
      let effects: Map<string, number> | undefined;
      let eventLog = 0;
      let seasonLog = 0;
      for (const [i, g] of seen.entries()) {
        const x = g.overlap[t] ?? 0;
        if (x === 0) continue;
        const beta = fit.beta[1 + seasonColumns + i] ?? 0;
        if (g.key === YEAR_END) seasonLog += beta * x;
        else {
          effects ??= new Map();
          effects.set(g.key, beta);
          eventLog += beta * x;
        }
      }
      const expected = level * Math.exp(etaOf(t, false) + seasonLog);
      const usual = expected * Math.exp(eventLog);
      const logVariance =
        dispersion * quadratic(full, fit.covariance, p) +
        dispersion / (predicted + LEVEL_PRIOR) +
        BASELINE_ERROR;
      return {
        expected,
        usual,
        variance: dispersion * usual + usual * usual * logVariance,
        effects: effects ?? NO_EFFECTS,
        common: read.size === 0 ? common : new Set([...common, ...read]),
      };
    },
  };
}

/** The previous model's coefficients laid out for `names`; a term it lacked starts at 0. */
function carriedOver(previous: Terms, names: string[]): Float64Array {
  const beta = new Float64Array(names.length);
  // Mostly the same terms in the same order: a name map only once they part.
  let same = 0;
  while (same < names.length && names[same] === previous.names[same]) {
    beta[same] = previous.beta[same] ?? 0;
    same++;
  }
  if (same === names.length) return beta;
  const at = new Map(previous.names.map((name, i) => [name, i]));
  for (let i = same; i < names.length; i++) {
    const j = at.get(names[i] as string);
    if (j !== undefined) beta[i] = previous.beta[j] ?? 0;
  }
  return beta;
}

/**
 * Λ of the count model, in the data's own (overdispersed) units: seasonal levels follow a
 * cyclic random walk (adjacent four-week periods differ by about 15%) around the mean (within
 * about 30%); event effects are shrunk towards none (within a factor of about e).
 */
function penaltyOf(p: number, seasonColumns: number, dispersion: number): Float64Array {
  const penalty = new Float64Array(p * p);
  penalty[0] = 1e-6;
  for (let a = 0; a < seasonColumns; a++) {
    const i = 1 + a;
    const j = 1 + ((a + 1) % seasonColumns);
    penalty[i * p + i] = (penalty[i * p + i] ?? 0) + dispersion * (SEASON_LEVEL + SEASON_STEP);
    penalty[j * p + j] = (penalty[j * p + j] ?? 0) + dispersion * SEASON_STEP;
    penalty[i * p + j] = (penalty[i * p + j] ?? 0) - dispersion * SEASON_STEP;
    penalty[j * p + i] = (penalty[j * p + i] ?? 0) - dispersion * SEASON_STEP;
  }
  for (let a = 1 + seasonColumns; a < p; a++) penalty[a * p + a] = dispersion * EVENT_PENALTY;
  return penalty;
}

/** Overdispersion from the median squared Pearson residual: outliers do not inflate it. */
function robustDispersion(
  y: ArrayLike<number>,
  mu: ArrayLike<number>,
  weights: ArrayLike<number>,
): number {
  const squares = new Float64Array(y.length);
  let k = 0;
  for (let i = 0; i < y.length; i++) {
    if (!weights[i]) continue;
    const m = Math.max(mu[i] ?? 0, 1e-6);
    squares[k++] = ((y[i] ?? 0) - m) ** 2 / m;
  }
  // The median of a χ²₁ variable is 0.455.
  return Math.max(1, medianOf(squares.subarray(0, k).sort()) / 0.455);
}

function dispersionOf(
  y: ArrayLike<number>,
  mu: ArrayLike<number>,
  weights: ArrayLike<number>,
  parameters: number,
): number {
  let sum = 0;
  let weightSum = 0;
  for (let i = 0; i < y.length; i++) {
    const w = weights[i] ?? 0;
    if (w === 0) continue;
    const m = Math.max(mu[i] ?? 0, 1e-6);
    sum += (w * ((y[i] ?? 0) - m) ** 2) / m;
    weightSum += w;
  }
  return Math.max(1, sum / Math.max(weightSum - parameters, 1));
}

/** EARS-style: the mean of the clean weeks among the last 12, with its own uncertainty. */
function shortBaseline(
  counts: number[],
  groups: readonly Group[],
  anomalies: ReadonlySet<number>,
  start: number,
  t: number,
): Prediction {
  const values: number[] = [];
  const common = commonGroups(groups, Math.max(start, t - 12), t);
  const eventful = (g: Group, w: number) => !common.has(g.key) && (g.overlap[w] ?? 0) > 0;
  for (let w = Math.max(start, t - 12); w < t; w++) {
    if (anomalies.has(w) || groups.some((g) => eventful(g, w))) continue;
    values.push(counts[w] ?? 0);
  }
  if (values.length < 4) {
    for (let w = Math.max(start, t - 12); w < t; w++)
      if (!anomalies.has(w)) values.push(counts[w] ?? 0);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  // A past spike among a dozen weeks would lift the mean: values far above the median go.
  const kept = values.filter((v) => v <= median + 3 * Math.sqrt(median + 1));
  const mean = kept.reduce((a, b) => a + b, 0) / Math.max(kept.length, 1);
  const expected = Math.max(mean, 0.2);
  const spread = kept.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(kept.length - 1, 1);
  const dispersion = Math.max(1, spread / expected);
  return {
    expected,
    usual: expected,
    variance: dispersion * expected + (expected * dispersion) / Math.max(kept.length, 1),
    effects: NO_EFFECTS,
    common,
  };
}

/** Splits the excess over the events of the week: learned effects first, the rest by overlap. */
function explain(
  observed: number,
  baseline: Prediction,
  events: EventTerm[],
  t: number,
): Explanation {
  const excess = observed - baseline.expected;
  // An event that is part of the baseline (`COMMON_SHARE`) is in the expected count already.
  const overlapping = events.filter(
    (e) => (e.overlap[t] ?? 0) > 0 && !e.groups.every((g) => baseline.common.has(g)),
  );
  const learned: { event: EventTerm; contacts: number }[] = [];
  const unlearned: EventTerm[] = [];
  for (const event of overlapping) {
    const known = event.groups.filter((g) => baseline.effects.has(g));
    const beta = known.reduce((sum, g) => sum + (baseline.effects.get(g) ?? 0), 0);
    if (known.length === 0) unlearned.push(event);
    else if (beta > 0) {
      const contacts = baseline.expected * (Math.exp(beta * (event.overlap[t] ?? 0)) - 1);
      learned.push({ event, contacts });
    }
  }
  const learnedTotal = learned.reduce((sum, l) => sum + l.contacts, 0);
  const scale = learnedTotal > excess ? excess / Math.max(learnedTotal, 1e-9) : 1;
  const attributions: Attribution[] = learned.map(({ event, contacts }) =>
    attribution(event, contacts * scale, excess, 'model'),
  );
  const rest = excess - learnedTotal * scale;
  // An event seen for the first time has no usual effect yet: it shares what is left.
  if (unlearned.length > 0 && rest > 0) {
    for (const event of unlearned) {
      attributions.push(attribution(event, rest / unlearned.length, excess, 'overlap'));
    }
  }
  const explained = attributions.reduce((sum, a) => sum + a.contacts, 0);
  return { attributions, unexplained: round(Math.max(0, excess - explained)) };
}

function attribution(
  event: EventTerm,
  contacts: number,
  excess: number,
  method: Attribution['method'],
): Attribution {
  return {
    eventId: event.eventId,
    title: event.title,
    kind: event.kind,
    contacts: round(contacts),
    share: round(contacts / excess, 3),
    method,
  };
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The median of values sorted ascending. */
function medianOf(sorted: ArrayLike<number>): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 1) : ((sorted[mid - 1] ?? 1) + (sorted[mid] ?? 1)) / 2;
}
