/**
 * A value, or a promise of it: what the notices hot path's steps return, since they usually
 * answer from memory and a promise would cost every request microtask hops and garbage.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`: at once when the value is at hand, else once it resolves. */
export function andThen<T, U>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<U>,
): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
