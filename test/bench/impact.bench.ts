import { type CampaignScenario, campaignSimulator } from './impact-campaigns';
import { answersWithoutEffect, type HoldoutScore, scoreHoldout } from './impact-holdout-score';
import {
  OBSERVATIONAL_SCENARIOS,
  type ObservationalScore,
  scoreObservational,
} from './impact-series';

/**
 * npm run bench:impact — the prevented-contacts estimators on simulated campaigns whose truth
 * is known, drawn from processes the estimators do not assume (impact-campaigns.ts,
 * impact-series.ts). Per scenario: coverage of the 95% interval (refusals excluded and
 * counted); on the campaigns refused, the coverage a plain Welch-t interval would have had
 * (a refusal passes only where it was needed: at 200 or more refused, that coverage must fall
 * outside 93–97%, or an estimator that always refused would meet every bar); bias relative
 * to the truth; two-sided false positives under no effect (at the window's end, and at any
 * of 8 weekly looks before it), judged on 200 or more answers; the minimum detectable lift
 * with and without the pre-period adjustment; and the estimator this replaced.
 * BENCH_SEED picks the random numbers (each scenario its own, so BENCH_SCENARIO=<part of a
 * name> runs the scenarios it names alone, holdout or observational, and prints the same
 * lines); BENCH_CAMPAIGNS (default 1,000) the simulated campaigns per scenario, each measured with its effect and
 * without it. A scenario whose campaigns are mostly refused runs more batches of them (up to
 * 4), until 1,000 campaigns without an effect were answered: rates measured on a few hundred
 * answers are too noisy to judge against 5%.
 */

const SEED = Number(process.env.BENCH_SEED ?? 1);
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 1_000);
const ONLY = process.env.BENCH_SCENARIO;
/** Fewer answers than this say nothing of coverage: the scenario is reported, not judged. */
const MIN_ANSWERS = 200;
const MAX_BATCHES = 4;

const common = {
  shape: [0.05, 1],
  baseRate: [0.005, 0.2],
  effect: 'homogeneous',
  campaignDays: [7, 14],
  daysAfter: [14, 14],
  holdout: [0.05, 0.5],
} as const satisfies Partial<CampaignScenario>;

const SCENARIOS: CampaignScenario[] = [
  {
    ...common,
    name: 'small audiences (300–2k), 5% holdout',
    audience: [300, 2_000],
    holdout: [0.05, 0.05],
  },
  {
    ...common,
    name: 'small audiences (300–2k), 10–50% holdout',
    audience: [300, 2_000],
    holdout: [0.1, 0.5],
  },
  { ...common, name: 'large audiences (2k–100k), 5–50% holdout', audience: [2_000, 100_000] },
  {
    ...common,
    name: 'very skewed (shape 0.05–0.2), rates 0.5–2%',
    audience: [300, 20_000],
    shape: [0.05, 0.2],
    baseRate: [0.005, 0.02],
  },
  {
    ...common,
    name: 'effect only in the heaviest 2% of accounts',
    audience: [2_000, 50_000],
    effect: 'heaviest',
  },
  {
    ...common,
    name: 'effect fully shifted to another reason',
    audience: [2_000, 50_000],
    effect: 'shifted',
  },
  {
    ...common,
    name: 'unequal windows (28-day campaign, 7 days after)',
    audience: [300, 20_000],
    campaignDays: [28, 28],
    daysAfter: [7, 7],
  },
  {
    ...common,
    name: '8 weekly looks (14-day campaign, 49 days after)',
    audience: [300, 20_000],
    campaignDays: [14, 14],
    daysAfter: [49, 49],
    looks: [7, 14, 21, 28, 35, 42, 49, 56],
  },
  {
    ...common,
    name: 'few heavy accounts (1–5% at 50–300×), 300–2k',
    audience: [300, 2_000],
    holdout: [0.05, 0.2],
    baseRate: [0.05, 0.5],
    heavy: { share: [0.01, 0.05], ratio: [50, 300] },
  },
  {
    ...common,
    name: 'few heavy accounts (1–5% at 50–300×), 3k–20k',
    audience: [3_000, 20_000],
    holdout: [0.05, 0.2],
    baseRate: [0.05, 0.5],
    heavy: { share: [0.01, 0.05], ratio: [50, 300] },
    judgeTarget: true,
  },
  {
    // The reviewer's generator: 3% of accounts at 3 contacts a week, the rest at 0.02 (windows
    // of 3–4 weeks: 0.3–0.4 contacts an account).
    ...common,
    name: '3% heavy at 150×, 5k–10k, 10% holdout',
    audience: [5_000, 10_000],
    holdout: [0.1, 0.1],
    baseRate: [0.3, 0.4],
    heavy: { share: [0.03, 0.03], ratio: [150, 150] },
    judgeTarget: true,
  },
];

const pct = (value: number, digits = 1) =>
  Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : '–';
const pad = (text: string, width: number) => text.padStart(width);

const verdicts: [boolean, string][] = [];
const judge = (met: boolean, label: string) => verdicts.push([met, label]);

/**
 * A test that holds its 5% level still shows a few tenths above 5% on some seeds: the rate is
 * measured on ~1,000 campaigns without an effect. Above 5% by more than two of its binomial
 * standard errors (for the campaigns actually answered) is not met.
 */
function judgeFalsePositives(name: string, rate: number, answered: number) {
  if (answered < MIN_ANSWERS) return;
  const noise = Math.sqrt((0.05 * 0.95) / answered);
  const shown = `${pct(rate)} (±${pct(noise)}, ${answered.toLocaleString('en')} answered)`;
  judge(
    rate <= 0.05 + 2 * noise,
    rate <= 0.05
      ? `${name}: false positives ${shown} <= 5%`
      : `${name}: false positives ${shown} <= 5% + 2 s.e. (${pct(0.05 + 2 * noise)})`,
  );
}

function printHoldout(scenario: CampaignScenario, score: HoldoutScore, seconds: number) {
  const judged = score.answered >= MIN_ANSWERS;
  const { bias, refusals } = score;
  console.log(
    [
      scenario.name.padEnd(50),
      pad(score.campaigns.toLocaleString('en'), 6),
      pad(pct(score.refused), 7),
      pad(`${pct(refusals.coverage)} of ${refusals.plain.toLocaleString('en')}`, 19),
      pad(judged ? pct(score.coverage) : `(${score.answered} ans.)`, 11),
      pad(`${pct(bias.paired)} ±${pct(bias.pairedNoise)}`, 14),
      pad(score.target.answered >= MIN_ANSWERS ? pct(score.target.coverage) : '–', 7),
      pad(`${pct(bias.plain)} ±${pct(bias.plainNoise, 0)}`, 16),
      pad(pct(score.falsePositives), 7),
      pad(score.looks ? (score.looks.answered ? pct(score.looks.anyFalsePositive) : '–') : '', 7),
      pad(`${pct(score.detectable.adjusted, 0)} / ${pct(score.detectable.unadjusted, 0)}`, 13),
      pad(pct(score.detectable.targetAdjusted, 0), 7),
      pad(`${pct(score.naive.coverage)} / ${pct(score.naive.falsePositives)}`, 15),
      pad(`${seconds.toFixed(0)} s`, 5),
    ].join(' '),
  );
  const name = scenario.name;
  if (judged) {
    judge(
      score.coverage >= 0.93 && score.coverage <= 0.97,
      `${name}: coverage ${pct(score.coverage)} within 93–97%`,
    );
  }
  // Refusing is a pass only where it was needed: where a plain interval would not have been
  // calibrated either. Otherwise an estimator that always refuses would meet every bar.
  const calibrated = refusals.coverage >= 0.93 && refusals.coverage <= 0.97;
  if (refusals.plain >= MIN_ANSWERS) {
    judge(
      !calibrated,
      calibrated
        ? `${name}: refuses ${pct(score.refused)} where a plain interval covers ${pct(refusals.coverage)} (${refusals.plain.toLocaleString('en')} refused)`
        : `${name}: refusals needed: a plain interval covers ${pct(refusals.coverage)} of the ${refusals.plain.toLocaleString('en')} refused, outside 93–97%`,
    );
  } else if (!judged) {
    judge(
      false,
      `${name}: ${score.answered} answers and ${refusals.plain} refusals, too few to judge either`,
    );
  }
  if (scenario.judgeTarget && score.target.answered >= MIN_ANSWERS) {
    judge(
      score.target.coverage >= 0.93 && score.target.coverage <= 0.97,
      `${name}: coverage of target-reason contacts ${pct(score.target.coverage)} within 93–97%`,
    );
  }
  if (judged && Number.isFinite(bias.paired)) {
    judge(Math.abs(bias.paired) < 0.02, `${name}: |bias| ${pct(Math.abs(bias.paired))} < 2%`);
  }
  judgeFalsePositives(name, score.falsePositives, score.nullAnswered);
  if (score.looks && score.looks.answered >= MIN_ANSWERS) {
    judge(
      score.looks.anyFalsePositive <= 0.05,
      `${name}: false positives at any of 8 weekly looks ${pct(score.looks.anyFalsePositive)} <= 5%`,
    );
  }
  if (score.shifted && score.shifted.answered >= MIN_ANSWERS) {
    judge(
      score.shifted.coverage >= 0.93 && score.shifted.coverage <= 0.97,
      `${name}: coverage of shifted contacts ${pct(score.shifted.coverage)} within 93–97%`,
    );
  }
}

function printObservational(name: string, score: ObservationalScore, seconds: number) {
  console.log(
    [
      name.padEnd(50),
      pad(score.series.toLocaleString('en'), 6),
      pad(pct(score.refused), 7),
      pad(pct(score.coverage), 9),
      pad(`${pct(score.bias)} ±${pct(score.biasNoise)}`, 14),
      pad(pct(score.falsePositives), 7),
      pad(`${pct(score.naive.coverage)} / ${pct(score.naive.bias)}`, 15),
      pad(`${seconds.toFixed(0)} s`, 5),
    ].join(' '),
  );
  judge(score.coverage >= 0.9, `observational, ${name}: coverage ${pct(score.coverage)} >= 90%`);
  judgeFalsePositives(`observational, ${name}`, score.falsePositives, score.nullAnswered);
}

async function main() {
  console.log(
    `bench:impact, seed ${SEED}: ${CAMPAIGNS.toLocaleString('en')} simulated campaigns per holdout scenario, each measured with its effect (lift 0–40%) and without one`,
  );
  console.log('');
  console.log('Holdout estimator: net prevented contacts (every reason), the headline');
  console.log(
    [
      'scenario'.padEnd(50),
      pad('estim.', 6),
      pad('refused', 7),
      pad('refused: plain cov.', 19),
      pad('coverage', 11),
      pad('bias (paired)', 14),
      pad('tgt cov', 7),
      pad('bias (plain)', 16),
      pad('false+', 7),
      pad('looks+', 7),
      pad('MDL adj/unadj', 13),
      pad('MDL tgt', 7),
      pad('old: cov / f+', 15),
      pad('time', 5),
    ].join(' '),
  );
  for (const [index, scenario] of SCENARIOS.entries()) {
    if (ONLY && !scenario.name.includes(ONLY)) continue;
    // Each scenario draws its own random numbers, so that one run alone prints its full line.
    const simulate = campaignSimulator(SEED * 1_000 + index);
    const started = performance.now();
    const campaigns: ReturnType<typeof simulate>[] = [];
    let answeredWithoutEffect = 0;
    do {
      for (let i = 0; i < CAMPAIGNS; i++) {
        const campaign = simulate(scenario, (0.4 * (i + 0.5)) / CAMPAIGNS);
        campaigns.push(campaign);
        if (answersWithoutEffect(campaign)) answeredWithoutEffect++;
      }
    } while (answeredWithoutEffect < CAMPAIGNS && campaigns.length < MAX_BATCHES * CAMPAIGNS);
    const score = scoreHoldout(scenario, campaigns);
    printHoldout(scenario, score, (performance.now() - started) / 1000);
  }
  console.log('');
  console.log('Observational estimator (no holdout): target-reason contacts prevented');
  console.log(
    [
      'scenario'.padEnd(50),
      pad('series', 6),
      pad('refused', 7),
      pad('coverage', 9),
      pad('bias', 14),
      pad('false+', 7),
      pad('old: cov / bias', 15),
      pad('time', 5),
    ].join(' '),
  );
  for (const scenario of OBSERVATIONAL_SCENARIOS) {
    if (ONLY && !scenario.name.includes(ONLY)) continue;
    const started = performance.now();
    const score = scoreObservational(scenario, CAMPAIGNS, SEED);
    printObservational(scenario.name, score, (performance.now() - started) / 1000);
  }
  console.log('');
  console.log(
    'refused: plain cov.: a plain Welch-t 95% interval of the difference of every-reason means (no adjustment) on the campaigns the estimator refused, the share holding the truth, of how many; coverage: share of 95% intervals holding the truth, refusals excluded; tgt cov: the same for the target-reason figure (judged where the scenario says); bias (paired): mean (estimate − truth) over the campaigns with an effect, each less its own no-effect twin, / mean truth, ± its Monte Carlo s.e.; bias (plain): the same without the twin (noisier); false+: p < 0.05 under no effect at the window’s end; looks+: p < 0.05 at any of 8 weekly looks before it (always-valid answers; – when none answered); MDL: median minimum detectable lift (80% power, 5%) of the net estimate with / without the pre-period adjustment, and of the target-reason one; old: the estimator this replaced (Welch, target reasons, no refusal).',
  );
  console.log('');
  for (const [met, label] of verdicts) console.log(`${met ? 'met    ' : 'NOT MET'} ${label}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
