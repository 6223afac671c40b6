import type { SpikeView } from '../modules/spikes/spikes.service';

/**
 * Contacts expected in a week: whole above 10, with one decimal below, where rounding would
 * turn 0.4 into "expected 0" and make any count look infinitely surprising.
 */
export const expectedContacts = (expected: number) =>
  expected < 10
    ? expected.toLocaleString('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
    : Math.round(expected).toLocaleString('en');

/** 1/p to two significant figures: "1 in 3,400", as a leader would say it. */
export function chanceInWords(probability: number): string {
  if (!(probability > 0) || probability < 1e-6) return 'under 1 in a million';
  if (probability >= 0.5) return 'about even';
  const odds = 1 / probability;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(odds)) - 1);
  return `1 in ${(Math.round(odds / step) * step).toLocaleString('en')}`;
}

/**
 * How surprising a spike is: the chance of so many contacts in a usual week, in words, with the
 * p-value itself for whoever hovers over it.
 */
export const SpikeChance = ({ spike }: { spike: Pick<SpikeView, 'probability'> }) => (
  <span
    title={spike.probability < 1e-6 ? 'p < 0.000001' : `p = ${spike.probability.toPrecision(2)}`}
  >
    {chanceInWords(spike.probability)}
  </span>
);
