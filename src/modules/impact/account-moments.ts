/**
 * What a campaign's measurement keeps of each group: sums over its accounts of every product of
 * up to three per-account variables. Means, covariances and third moments of any linear
 * combination follow from them, so the regression adjustment, the variances and the skewness
 * check run on a few dozen numbers that SQL sums in one pass, whatever the audience's size.
 */

export const VARIABLES = [
  /** Contacts for the target reasons in the account's window. */
  'target',
  /** Contacts for every reason in the window. */
  'every',
  /** Target contacts in the 8 weeks before exposure, scaled to the window's length. */
  'pre_target',
  /** Contacts for every reason in the 8 weeks before exposure, scaled likewise. */
  'pre_every',
  /** The window's length in weeks: accounts exposed later have shorter windows. */
  'weeks',
] as const;

export type Variable = (typeof VARIABLES)[number];

const V = VARIABLES.length;

/** Every non-decreasing tuple of variable indices of length 0 to 3; [] counts the accounts. */
export const MONOMIALS: readonly (readonly number[])[] = (() => {
  const list: number[][] = [[]];
  for (let i = 0; i < V; i++) list.push([i]);
  for (let i = 0; i < V; i++) for (let j = i; j < V; j++) list.push([i, j]);
  for (let i = 0; i < V; i++)
    for (let j = i; j < V; j++) for (let k = j; k < V; k++) list.push([i, j, k]);
  return list;
})();

const position = new Map(MONOMIALS.map((tuple, index) => [tuple.join(','), index]));
function indexOf(...tuple: number[]): number {
  const index = position.get([...tuple].sort((a, b) => a - b).join(','));
  if (index === undefined) throw new Error(`no monomial (${tuple})`);
  return index;
}

/** Sums of each monomial over a group's accounts; [0] is the number of accounts. */
export type Moments = Float64Array;

export const emptyMoments = (): Moments => new Float64Array(MONOMIALS.length);

/** Adds one account (its variables in VARIABLES order), `weight` times. */
export function addAccount(moments: Moments, values: ArrayLike<number>, weight = 1): void {
  MONOMIALS.forEach((tuple, m) => {
    let product = weight;
    for (const variable of tuple) product *= values[variable] ?? 0;
    moments[m] = (moments[m] ?? 0) + product;
  });
}

const WEEKS = V - 1;
const QUIET = [indexOf(WEEKS), indexOf(WEEKS, WEEKS), indexOf(WEEKS, WEEKS, WEEKS)] as const;

/** Adds an account with no contacts before or during its window of `weeks`. */
export function addQuietAccount(moments: Moments, weeks: number): void {
  moments[0] = (moments[0] ?? 0) + 1;
  moments[QUIET[0]] = (moments[QUIET[0]] ?? 0) + weeks;
  moments[QUIET[1]] = (moments[QUIET[1]] ?? 0) + weeks * weeks;
  moments[QUIET[2]] = (moments[QUIET[2]] ?? 0) + weeks * weeks * weeks;
}

export const accountsIn = (moments: Moments) => moments[0] ?? 0;

/** A linear combination of the variables, as coefficients in VARIABLES order. */
export type Form = readonly number[];

export const unit = (variable: Variable): Form =>
  VARIABLES.map((name) => (name === variable ? 1 : 0));

/** Raw moments E[a'v], E[(a'v)(b'v)] and E[(a'v)³] over the group's accounts. */
export function mean(moments: Moments, a: Form): number {
  let sum = 0;
  for (let i = 0; i < V; i++) if (a[i]) sum += (a[i] ?? 0) * (moments[indexOf(i)] ?? 0);
  return sum / accountsIn(moments);
}

export function crossMean(moments: Moments, a: Form, b: Form): number {
  let sum = 0;
  for (let i = 0; i < V; i++) {
    if (!a[i]) continue;
    for (let j = 0; j < V; j++) {
      if (!b[j]) continue;
      sum += (a[i] ?? 0) * (b[j] ?? 0) * (moments[indexOf(i, j)] ?? 0);
    }
  }
  return sum / accountsIn(moments);
}

function cubeMean(moments: Moments, a: Form): number {
  let sum = 0;
  for (let i = 0; i < V; i++) {
    if (!a[i]) continue;
    for (let j = 0; j < V; j++) {
      if (!a[j]) continue;
      for (let k = 0; k < V; k++) {
        if (!a[k]) continue;
        const coefficient = (a[i] ?? 0) * (a[j] ?? 0) * (a[k] ?? 0);
        sum += coefficient * (moments[indexOf(i, j, k)] ?? 0);
      }
    }
  }
  return sum / accountsIn(moments);
}

/** Central moments of a'v within the group: mean, variance (n − 1) and third moment (n). */
export function centralMoments(moments: Moments, a: Form) {
  const n = accountsIn(moments);
  const m1 = mean(moments, a);
  const m2 = crossMean(moments, a, a);
  const m3 = cubeMean(moments, a);
  const spread = Math.max(0, m2 - m1 * m1);
  return {
    mean: m1,
    variance: n > 1 ? (spread * n) / (n - 1) : 0,
    /** Population variance (divided by n). */
    spread,
    third: m3 - 3 * m1 * m2 + 2 * m1 ** 3,
  };
}

/** Covariance of a'v and b'v within the group (divided by n). */
export function covariance(moments: Moments, a: Form, b: Form): number {
  return crossMean(moments, a, b) - mean(moments, a) * mean(moments, b);
}
