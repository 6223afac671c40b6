const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export type HistoryTicket = {
  source: string;
  external_id: string;
  account_id: string;
  reason: string;
  created_at: string;
};

/**
 * Billing contacts of every week from the Monday `from` to the Monday `to` (inclusive):
 * `perWeek(week)` of them in the week numbered `week` from 0, ticket `k` of it with id
 * `${week}-${k}`, on weekday `k % 5` at 01:00 UTC, from the account `accountOf(k, id)`.
 */
export function weeklyHistory(options: {
  from: string;
  to: string;
  perWeek: (week: number) => number;
  accountOf?: (k: number, externalId: string) => string;
}): HistoryTicket[] {
  const { perWeek, accountOf = (k) => `a-${k % 10}` } = options;
  const first = Date.parse(`${options.from}T00:00:00Z`);
  const last = Date.parse(`${options.to}T00:00:00Z`);
  const tickets: HistoryTicket[] = [];
  for (let monday = first, week = 0; monday <= last; monday += WEEK_MS, week++) {
    for (let k = 0; k < perWeek(week); k++) {
      const id = `${week}-${k}`;
      tickets.push({
        source: 'log',
        external_id: id,
        account_id: accountOf(k, id),
        reason: 'Billing',
        created_at: new Date(monday + (k % 5) * DAY_MS + 3_600_000).toISOString(),
      });
    }
  }
  return tickets;
}
