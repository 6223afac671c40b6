import { stringify } from 'csv-stringify/sync';
import { neutraliseFormula } from '../../lib/csv-cell';
import type { Interval } from '../impact/holdout-estimate';
import { NO_HOLDOUT_ESTIMATE, preventedText } from './effect-text';
import type { Companion, PreventedContactsReport } from './report-schemas';
import { observationalOverlapNote } from './totals-coverage';

const COLUMNS = [
  'section',
  'key',
  'label',
  'contacts',
  'recontacts',
  'recontact_rate',
  'resolved',
  'resolution_rate',
  'cost_per_resolution_cents',
  'csat',
  'csat_responses',
  'first_response_median_hours',
  'first_response_p90_hours',
  'churn_rate',
  'downgrade_rate',
  'emailed_anyway',
  'status',
  'method',
  'interval_kind',
  'prevented',
  'prevented_low',
  'prevented_high',
  'why_no_estimate',
  'savings_cents',
  'savings_low_cents',
  'savings_high_cents',
  'target_prevented',
  'target_prevented_low',
  'target_prevented_high',
  'shifted',
  'shifted_low',
  'shifted_high',
  'deflection_rate',
  'lift',
  'lift_low',
  'lift_high',
  'p_value',
  'warnings',
  'note',
  'prevented_text',
] as const;

type CsvRow = Partial<Record<(typeof COLUMNS)[number], string | number | null>>;

/** The columns of each interval the JSON has: its estimate, low and high. */
const INTERVAL_COLUMNS = {
  prevented: ['prevented', 'prevented_low', 'prevented_high'],
  savings: ['savings_cents', 'savings_low_cents', 'savings_high_cents'],
  target_prevented: ['target_prevented', 'target_prevented_low', 'target_prevented_high'],
  shifted: ['shifted', 'shifted_low', 'shifted_high'],
  lift: ['lift', 'lift_low', 'lift_high'],
} as const;

const interval = (name: keyof typeof INTERVAL_COLUMNS, value: Interval | null): CsvRow => {
  const [estimate, low, high] = INTERVAL_COLUMNS[name];
  return { [estimate]: value?.estimate, [low]: value?.low, [high]: value?.high };
};

const rates = (r: Companion) => ({
  contacts: r.contacts,
  recontacts: r.recontacts,
  recontact_rate: r.recontact_rate,
  resolved: r.resolved,
  resolution_rate: r.resolution_rate,
  csat: r.csat,
  csat_responses: r.csat_responses,
  first_response_median_hours: r.first_response_median_hours,
  first_response_p90_hours: r.first_response_p90_hours,
});

/**
 * The same report as one CSV table; `section` says which part of the JSON a row is. The
 * total's estimates are empty, and `why_no_estimate` says why, when no campaign is in the net
 * total; it is followed by one `total_group` row per group with the churn and downgrade totals, and a
 * `total_observational` row when campaigns without a holdout have estimates; its `note` says,
 * as the page does, which overlapping ones were left out of the sum (all of them: no figure,
 * and `why_no_estimate` says so too). Each
 * campaign is followed by one `campaign_group` row per group (treated, holdout) with its
 * companion metrics; the holdout's counts its accounts emailed anyway (`holdout_reached`).
 * As in the JSON, a campaign's `lift` is its target reasons' and `deflection_rate` its net one;
 * its `note` says why it is not measured from its planned start, when it is not.
 * Every interval the JSON has comes as three columns: its estimate, `_low` and `_high`; the
 * prevented contacts' also as the page and the digest say them (`prevented_text`: the range,
 * or that it is not distinguishable from no effect).
 */
export function reportCsv(report: PreventedContactsReport): string {
  const { totals } = report;
  const overlapNote = observationalOverlapNote(report);
  const rows: CsvRow[] = [
    {
      section: 'total',
      key: `${report.from}..${report.to}`,
      label: 'All contacts in the period',
      ...rates(totals),
      cost_per_resolution_cents: totals.cost_per_resolution_cents,
      // As a campaign's row without an estimate: empty figures, and why.
      method: totals.prevented ? 'holdout' : null,
      ...interval('prevented', totals.prevented),
      prevented_text: totals.prevented && preventedText(totals.prevented),
      why_no_estimate: totals.prevented ? null : NO_HOLDOUT_ESTIMATE,
      ...interval('savings', totals.savings_cents),
      ...interval('target_prevented', totals.target_prevented),
      ...interval('shifted', totals.shifted),
      deflection_rate: totals.deflection_rate,
      warnings: totals.warnings,
    },
    // The churn and downgrade totals, over the campaigns in the total's prevented contacts.
    ...(['treated', 'holdout'] as const).map((group) => ({
      section: 'total_group',
      key: `${report.from}..${report.to}`,
      label: group,
      churn_rate: totals.churn_rate[group],
      downgrade_rate: totals.downgrade_rate[group],
    })),
    ...(totals.prevented_observational || overlapNote
      ? [
          {
            section: 'total_observational',
            key: `${report.from}..${report.to}`,
            label: 'Campaigns without a holdout (target reasons, not in the totals)',
            method: 'observational',
            ...interval('prevented', totals.prevented_observational),
            prevented_text:
              totals.prevented_observational && preventedText(totals.prevented_observational),
            // Every estimate left out of the sum: no figure, and the note is why.
            why_no_estimate: totals.prevented_observational ? null : overlapNote,
            note: overlapNote,
          },
        ]
      : []),
    ...report.campaigns.flatMap((c) => [
      {
        section: 'campaign',
        key: c.id,
        label: c.title,
        contacts: c.treated.contacts,
        status: c.status,
        method: c.method,
        interval_kind: c.interval_kind,
        ...interval('prevented', c.prevented),
        prevented_text: c.prevented && preventedText(c.prevented, 1),
        why_no_estimate: c.reason,
        ...interval('savings', c.savings_cents),
        ...interval('target_prevented', c.target_prevented),
        ...interval('shifted', c.shifted),
        deflection_rate: c.deflection_rate,
        ...interval('lift', c.lift),
        p_value: c.p_value,
        warnings: c.warnings.map((w) => w.message).join(' '),
        note: c.exposure.note,
      },
      ...(['treated', 'holdout'] as const).map((group) => {
        const g = c[group];
        return {
          section: 'campaign_group',
          key: c.id,
          label: group,
          contacts: g.contacts,
          recontact_rate: g.recontact_rate,
          resolution_rate: g.resolution_rate,
          cost_per_resolution_cents: g.cost_per_resolution_cents,
          csat: g.csat,
          csat_responses: g.csat_responses,
          first_response_median_hours: g.first_response_median_hours,
          first_response_p90_hours: g.first_response_p90_hours,
          churn_rate: g.churn_rate,
          downgrade_rate: g.downgrade_rate,
          ...(group === 'holdout' ? { emailed_anyway: c.holdout_reached.accounts } : {}),
        };
      }),
    ]),
    ...report.reasons.map((r) => ({
      section: 'reason',
      key: r.reason,
      label: r.label,
      ...rates(r),
      prevented: r.prevented,
    })),
    ...report.weeks.map((w) => ({
      section: 'week',
      key: w.week,
      label: `Week of ${w.week}`,
      ...rates(w),
      prevented: w.prevented,
      savings_cents: w.savings_cents,
    })),
  ];
  return stringify(rows, {
    header: true,
    columns: [...COLUMNS],
    cast: { string: neutraliseFormula },
  });
}
