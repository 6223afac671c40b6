import { stringify } from 'csv-stringify/sync';
import { neutraliseFormula } from '../../csv-cell';
import type { Interval } from '../impact/holdout-estimate';
import type { PreventedContactsReport } from './prevented-contacts-report.service';

const COLUMNS = [
  'section',
  'key',
  'label',
  'contacts',
  'recontacts',
  'recontact_rate',
  'resolved',
  'resolution_rate',
  'method',
  'prevented',
  'prevented_low',
  'prevented_high',
  'savings_cents',
  'savings_low_cents',
  'savings_high_cents',
  'deflection_rate',
  'lift',
  'p_value',
] as const;

type CsvRow = Partial<Record<(typeof COLUMNS)[number], string | number | null>>;

const interval = (prefix: 'prevented' | 'savings', value: Interval | null): CsvRow =>
  prefix === 'prevented'
    ? { prevented: value?.estimate, prevented_low: value?.low, prevented_high: value?.high }
    : {
        savings_cents: value?.estimate,
        savings_low_cents: value?.low,
        savings_high_cents: value?.high,
      };

/** The same report as one CSV table; `section` says which part of the JSON a row is. */
export function reportCsv(report: PreventedContactsReport): string {
  const { totals } = report;
  const rows: CsvRow[] = [
    {
      section: 'total',
      key: `${report.from}..${report.to}`,
      label: 'All contacts in the period',
      contacts: totals.contacts,
      recontacts: totals.recontacts,
      recontact_rate: totals.recontact_rate,
      resolved: totals.resolved,
      resolution_rate: totals.resolution_rate,
      method: 'holdout',
      ...interval('prevented', totals.prevented),
      ...interval('savings', totals.savings_cents),
      deflection_rate: totals.deflection_rate,
    },
    ...report.campaigns.map((c) => ({
      section: 'campaign',
      key: c.id,
      label: c.title,
      contacts: c.treated.target_contacts,
      recontact_rate: c.treated.recontact_rate,
      resolution_rate: c.treated.resolution_rate,
      method: c.method,
      ...interval('prevented', c.prevented),
      ...interval('savings', c.savings_cents),
      deflection_rate: c.deflection_rate,
      lift: c.lift?.estimate,
      p_value: c.p_value,
    })),
    ...report.reasons.map((r) => ({
      section: 'reason',
      key: r.reason,
      label: r.label,
      contacts: r.contacts,
      recontacts: r.recontacts,
      recontact_rate: r.recontact_rate,
      resolved: r.resolved,
      resolution_rate: r.resolution_rate,
      prevented: r.prevented,
    })),
    ...report.weeks.map((w) => ({
      section: 'week',
      key: w.week,
      label: `Week of ${w.week}`,
      contacts: w.contacts,
      recontacts: w.recontacts,
      recontact_rate: w.recontact_rate,
      resolved: w.resolved,
      resolution_rate: w.resolution_rate,
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
