import { type CampaignScenario, campaignSimulator } from '../impact-campaigns';
import { scoreHoldout } from '../impact-holdout-score';

const N = Number(process.env.N ?? 1000);
const common = {
  shape: [0.05, 1],
  baseRate: [0.005, 0.2],
  effect: 'homogeneous',
  campaignDays: [7, 14],
  daysAfter: [14, 14],
  holdout: [0.05, 0.5],
} as const;
const S: CampaignScenario[] = [
  { ...common, name: 'small', audience: [300, 2000], holdout: [0.1, 0.5] },
  { ...common, name: 'looks', audience: [300, 20000], campaignDays: [14, 14], daysAfter: [49, 49] },
  { ...common, name: 'skew', audience: [300, 20000], shape: [0.05, 0.2], baseRate: [0.005, 0.02] },
] as CampaignScenario[];
for (const seed of [11, 12]) {
  const sim = campaignSimulator(seed);
  for (const s of S) {
    const cs = Array.from({ length: N }, (_, i) => sim(s, (0.4 * (i + 0.5)) / N));
    const r = scoreHoldout(s, cs);
    console.log(
      seed,
      s.name,
      'cov',
      (r.coverage * 100).toFixed(1),
      'fp',
      (r.falsePositives * 100).toFixed(1),
      'n',
      r.nullAnswered,
      'ref',
      (r.refused * 100).toFixed(1),
      'bias',
      (r.bias.paired * 100).toFixed(1),
    );
  }
}
