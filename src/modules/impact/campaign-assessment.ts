import type { CampaignMeasurement } from './campaign-measurements';
import {
  type CompanionWarning,
  companionWarnings,
  type GroupCompanion,
  groupCompanion,
  rate,
} from './companion-metrics';
import { type ExposureColumns, exposurePeriod } from './exposure-period';
import {
  type Answer,
  estimateWithHoldout,
  type HoldoutEstimate,
  type Interval,
  type Timing,
} from './holdout-estimate';
import type { HoldoutReached } from './impact-schemas';

const DAY_MS = 86_400_000;
/** The planning horizon of a campaign with no end, for its always-valid intervals. */
const OPEN_ENDED_DAYS = 56;

export type MeasurementWindow = {
  /** Where the measurement stops now: the window's end, or now while it runs. */
  end: Date;
  measurement: 'final' | 'so_far';
  timing: Timing;
};

/**
 * A campaign's measurement window: from the start of its exposure period to `windowDays`
 * after that period ends (see `exposurePeriod`: it starts at its publication when that was
 * after its start, or at its first email when that went before; a cancelled campaign's ends
 * at its cancellation). Before that end the answer is so far (always valid); after it, final
 * (fixed horizon).
 */
export function measurementWindow(
  row: ExposureColumns,
  now: Date,
  windowDays: number,
): MeasurementWindow {
  const exposed = exposurePeriod(row);
  const plannedEnd = exposed.end ? new Date(exposed.end.getTime() + windowDays * DAY_MS) : null;
  const end = new Date(Math.min(now.getTime(), (plannedEnd ?? now).getTime()));
  const start = exposed.start?.getTime() ?? now.getTime();
  const final = plannedEnd !== null && plannedEnd < now;
  return {
    end,
    measurement: final ? 'final' : 'so_far',
    timing: {
      final,
      elapsedDays: Math.max(0, (end.getTime() - start) / DAY_MS),
      windowDays: plannedEnd ? (plannedEnd.getTime() - start) / DAY_MS : OPEN_ENDED_DAYS,
    },
  };
}

const cents = (interval: Interval, perTicket: number): Interval => ({
  estimate: Math.round(interval.estimate * perTicket),
  low: Math.round(interval.low * perTicket),
  high: Math.round(interval.high * perTicket),
});

/** An answer as the API shows it, snake_case, with savings when there is a number. */
export function answerView(answer: Answer, perTicket: number) {
  if (answer.status !== 'ok') {
    return {
      status: answer.status,
      reason: answer.reason,
      needed: {
        more_weeks: answer.needed.moreWeeks,
        holdout_accounts: answer.needed.holdoutAccounts,
      },
    };
  }
  return {
    status: answer.status,
    prevented: answer.prevented,
    standard_error: answer.standardError,
    p_value: answer.pValue,
    lift: answer.lift,
    treated_contacts: answer.treatedContacts,
    held_out_contacts: answer.heldOutContacts,
    expected_without: answer.expectedWithout,
    unadjusted: answer.unadjusted,
    savings_cents: cents(answer.prevented, perTicket),
  };
}

export type AnswerView = ReturnType<typeof answerView>;

export type HoldoutAssessment = {
  estimate: HoldoutEstimate;
  interval_kind: HoldoutEstimate['kind'];
  net: AnswerView;
  target: AnswerView;
  shifted: AnswerView;
  /** Net prevented / (treated accounts' contacts, all reasons, + net prevented). */
  deflection_rate: number | null;
  detectable: HoldoutEstimate['detectable'];
  companion: { treated: GroupCompanion; holdout: GroupCompanion };
  warnings: CompanionWarning[];
  /** Of the accounts held out so far, those the campaign's email reached anyway. */
  holdout_reached: HoldoutReached;
};

/**
 * The kind of a campaign's headline interval: its holdout's, or, without a holdout, the
 * observational estimate's, which comes from simulating its model.
 */
export const intervalKindOf = (holdoutPercent: number, holdout: HoldoutEstimate['kind']) =>
  holdoutPercent === 0 ? ('simulated' as const) : holdout;

/** Everything the impact endpoint and the report say of a campaign measured by its holdout. */
export function assessWithHoldout(
  measurement: CampaignMeasurement,
  window: MeasurementWindow,
  perTicket: number,
): HoldoutAssessment {
  const { treated, holdout } = measurement.groups;
  const estimate = estimateWithHoldout(treated.moments, holdout.moments, window.timing);
  const { net } = estimate;
  return {
    estimate,
    interval_kind: estimate.kind,
    net: answerView(net, perTicket),
    target: answerView(estimate.target, perTicket),
    shifted: answerView(estimate.shifted, perTicket),
    deflection_rate:
      net.status === 'ok'
        ? rate(net.prevented.estimate, net.treatedContacts + net.prevented.estimate)
        : null,
    detectable: estimate.detectable,
    companion: {
      treated: groupCompanion(treated, perTicket),
      holdout: groupCompanion(holdout, perTicket),
    },
    warnings: companionWarnings(
      net.status === 'ok' ? net.prevented.estimate : null,
      treated,
      holdout,
    ),
    holdout_reached: { accounts: holdout.emailedAnyway, held_out: holdout.accounts },
  };
}

/** Assessments of many campaigns at once, by id (a compute task: it grows with their number). */
export function holdoutAssessments(
  campaigns: {
    id: string;
    measurement: CampaignMeasurement;
    window: MeasurementWindow;
    perTicket: number;
  }[],
): Map<string, HoldoutAssessment> {
  return new Map(
    campaigns.map((c) => [c.id, assessWithHoldout(c.measurement, c.window, c.perTicket)]),
  );
}
