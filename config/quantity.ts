/**
 * Kubernetes resource quantities ("500m", "48Gi", "1.5", 4, "1e3"), as numbers of base units
 * (cores for CPU, bytes for memory), by apimachinery's own grammar
 * (k8s.io/apimachinery/pkg/api/resource/quantity.go: sign, digits with an optional fraction or
 * trailing ".", then a binary or decimal SI suffix or an e/E exponent).
 */

const SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY =
  /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;
/** The forms kept as written in what the program renders; the rest (1e3, +4, 4., 1n) are normalised. */
const PLAIN = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;

/**
 * Most a quantity may be, in base units: Kubernetes keeps quantities as int64 (milli-units for
 * CPU), so no real CPU or memory figure comes near; beyond it is a typo (cpu: 1e300).
 */
const MAX_QUANTITY = 2 ** 53;

/**
 * The value of a quantity in base units, or undefined when it is not a quantity Kubernetes takes
 * as written. Negative values parse (Kubernetes' grammar has a sign); resource amounts refuse them.
 */
export function parseQuantity(value: string | number): number | undefined {
  // A number is rendered with String(): 1e300 becomes "1e+300".
  const text = typeof value === "number" ? String(value) : value;
  // No trimming: Kubernetes refuses "200 " and non-breaking spaces, and the value is rendered as written.
  const [, sign, digits, suffix, exponent] = QUANTITY.exec(text) ?? [];
  if (digits === undefined) return undefined; // no match: the digits are not optional
  // The grammar admits only SUFFIX's keys.
  const scale = exponent !== undefined ? 10 ** Number(exponent) : SUFFIX[suffix ?? ""];
  if (scale === undefined) return undefined;
  const n = (sign === "-" ? -1 : 1) * Number(digits.endsWith(".") ? digits.slice(0, -1) : digits) * scale;
  return Math.abs(n) <= MAX_QUANTITY ? n : undefined;
}

/**
 * A valid quantity as the program renders it: as written in the common forms, otherwise in
 * Kubernetes' canonical spelling ("1e3" -> "1000", "+4" -> "4", "-0" -> "0", "1.5e-3" -> "1500u").
 */
export function normalizedQuantity(value: string | number): string | number {
  const n = parseQuantity(value);
  if (typeof value === "number" || PLAIN.test(value) || n === undefined) return value;
  if (Number.isInteger(n)) return String(n === 0 ? 0 : n);
  // The largest unit that holds it whole, judged relative to the value (floats are not exact);
  // Kubernetes rounds what is finer than a nano-unit up.
  for (const [suffix, factor] of [
    ["m", 1e3],
    ["u", 1e6],
    ["n", 1e9],
  ] as const) {
    const scaled = n * factor;
    if (Math.abs(scaled - Math.round(scaled)) <= Math.abs(scaled) * 1e-12)
      return `${Math.round(scaled)}${suffix}`;
  }
  return `${Math.ceil(n * 1e9)}n`;
}

/** Why `value` is not a quantity, with the fix a user most likely meant. */
export function quantityHint(value: unknown): string {
  if (typeof value === "string") {
    const [, amount, unit] = /^([0-9.]+)\s*([a-zA-Z]+)$/.exec(value.trim()) ?? [];
    if (amount !== undefined && unit !== undefined) {
      const fixed: Record<string, string> = {
        gb: "Gi",
        gib: "Gi",
        g: "G",
        mb: "Mi",
        mib: "Mi",
        tb: "Ti",
        tib: "Ti",
        kb: "Ki",
      };
      const suggestion = fixed[unit.toLowerCase()];
      // "GB" may mean either: offer the power-of-10 unit too, as written it is the closer one.
      const decimal: Record<string, string> = { gb: "G", mb: "M", tb: "T", kb: "k" };
      const power10 = decimal[unit.toLowerCase()];
      const also = power10 ? `, or ${amount}${power10}` : "";
      if (suggestion)
        return `write ${amount}${suggestion}${also} (Kubernetes units: Ki Mi Gi Ti are powers of 2, k M G T powers of 10)`;
    }
    if (/^-/.test(value.trim())) return "an amount cannot be negative";
    const joined = value.replace(/[\s\u00a0]+/g, "");
    if (joined !== value && parseQuantity(joined) !== undefined)
      return `remove the spaces: write ${JSON.stringify(joined)}`;
  }
  if (
    parseQuantity(String(value).replace(/[\s\u00a0]+/g, "")) === undefined &&
    /^[0-9.]+(e\+?[0-9]+)?$/i.test(String(value))
  ) {
    return `that is more than any cluster has (at most ${MAX_QUANTITY}); write the real figure`;
  }
  if (typeof value === "number" && value < 0) return "an amount cannot be negative";
  return "write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti";
}

export const GI = 2 ** 30;

/**
 * Bytes exactly, in the shortest of Kubernetes' canonical forms (each family's largest whole
 * suffix; binary on a tie): `800G` stays `800G`, not `781250000Ki`. Never rounded, so what the
 * loader compared is what the API server counts, and the API server keeps the form it is given.
 */
export function canonicalMemory(bytes: number): string {
  let best: string | undefined;
  for (const family of [
    [
      ["Ti", 2 ** 40],
      ["Gi", 2 ** 30],
      ["Mi", 2 ** 20],
      ["Ki", 2 ** 10],
    ],
    [
      ["T", 1e12],
      ["G", 1e9],
      ["M", 1e6],
      ["k", 1e3],
    ],
  ] as const) {
    const hit = family.find(([, size]) => bytes > 0 && bytes % size === 0);
    const text = hit && `${bytes / hit[1]}${hit[0]}`;
    if (text && (!best || text.length < best.length)) best = text;
  }
  // Fractions of a byte are rounded up, as Kubernetes counts memory in whole bytes.
  return best ?? String(Math.ceil(bytes));
}

/**
 * The least a container may ask for in a team namespace (the LimitRange's min, render/quotas.ts):
 * below anything that runs, but not zero. LimitRanger refuses pods under it, so the loader does too.
 */
export const CONTAINER_MINIMUM = { cpu: 0.01, memoryBytes: 16 * 2 ** 20 } as const;

/** Ephemeral storage a container requests when it sets none (the LimitRange's defaultRequest). */
export const CONTAINER_EPHEMERAL_DEFAULT_BYTES = 2 ** 30;

/** Memory in GiB, for people: 48Gi -> "48Gi", 1.5 GiB -> "1536Mi". */
export function formatMemory(bytes: number): string {
  if (bytes % GI === 0) return `${bytes / GI}Gi`;
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

/** CPU for Kubernetes: whole cores as "15", fractions in millicores ("500m"). */
export function formatCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

export const bytesFromGi = (gi: number): number => gi * GI;
