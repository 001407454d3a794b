/**
 * UTC time, the one clock of the ledger: durations in milliseconds and the UTC hour and day a moment falls in.
 * APIs speak ISO-8601; epoch milliseconds appear only inside storage keys and folds.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Start of the UTC hour, epoch milliseconds. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Start of the UTC day, epoch milliseconds. */
export function dayStartOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The UTC day as `yyyy-mm-dd`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
