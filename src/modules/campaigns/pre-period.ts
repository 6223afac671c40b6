/**
 * The days before a campaign that its measurement looks back over: a holdout's power is
 * judged on them, and the estimators adjust each account by its own contacts in them.
 */
export const PRE_PERIOD_DAYS = 56;
