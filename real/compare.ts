/**
 * "Exists as planned": every value the plan gives an object is what the API server stored,
 * after CRD validation, defaulting and pruning. The server may add fields (defaults, status);
 * it may not drop or change one the program set. Quantities compare by value ("1" is "1000m"),
 * and a false the server leaves out (Go's omitempty) is false.
 */
import { parseQuantity } from "../config/quantity";

/** Paths where `live` lacks or differs from a value of `planned`, with both values. */
export function mismatches(planned: unknown, live: unknown, at = ""): string[] {
  if (planned === null || planned === undefined) return [];
  if (Array.isArray(planned)) {
    if (!Array.isArray(live)) return [`${at}: planned a list, live ${JSON.stringify(live)}`];
    if (live.length !== planned.length)
      return [`${at}: planned ${planned.length} items, live ${live.length}`];
    return planned.flatMap((p, i) => mismatches(p, live[i], `${at}[${i}]`));
  }
  if (typeof planned === "object") {
    if (typeof live !== "object" || live === null)
      return [`${at}: planned an object, live ${JSON.stringify(live)}`];
    return Object.entries(planned as Record<string, unknown>).flatMap(([k, v]) =>
      mismatches(v, (live as Record<string, unknown>)[k], `${at}.${k}`),
    );
  }
  if (planned === live) return [];
  if (planned === false && live === undefined) return []; // the API omits a false that is the default
  if (String(planned) === String(live)) return []; // 8080 and "8080" in an IntOrString
  const [p, l] = [
    parseQuantity(planned as string | number),
    typeof live === "string" || typeof live === "number" ? parseQuantity(live) : undefined,
  ];
  if (p !== undefined && l !== undefined && Math.abs(p - l) <= Math.abs(p) * 1e-9) return [];
  return [`${at}: planned ${JSON.stringify(planned)}, live ${JSON.stringify(live)}`];
}
