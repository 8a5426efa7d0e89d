/**
 * What a test reads and relies on being there: a missing value fails the test, naming what was
 * missing, instead of a TypeError further on.
 */

/** `value`, which must be neither undefined nor null; `what` names it in the failure. */
export function defined<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, found ${value}`);
  return value;
}

/** The one element of `list`; fails the test, naming `what`, when there are none or several. */
export function only<T>(list: readonly T[], what: string): T {
  const [first, ...rest] = list;
  if (first === undefined || rest.length > 0) throw new Error(`expected one ${what}, found ${list.length}`);
  return first;
}
