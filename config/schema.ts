/**
 * Building blocks shared by the stack and team schemas, and the translation of zod's
 * issues into messages that say what was found, what was expected and what to do.
 */
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import { show, type PathSegment } from "./errors";
import { normalizedQuantity, parseQuantity, quantityHint } from "./quantity";

declare module "zod" {
  interface GlobalMeta {
    /**
     * What the program uses when the setting is left out, for defaults it computes from other
     * settings (a fixed default is the schema's `.default()`, never written here as well).
     * The configuration reference (scripts/configReference.ts) shows it in the default column.
     */
    computedDefault?: string;
  }
}

/** A close spelling of `word` among `candidates`, for "did you mean". */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  // Case first: "A100" means a100 even when another candidate is as few edits away.
  const sameLetters = candidates.find((c) => c.toLowerCase() === word.toLowerCase());
  if (sameLetters) return sameLetters;
  const lower = candidates.map((c) => c.toLowerCase());
  const nearest = closest(word.toLowerCase(), lower);
  const best = candidates.find((c) => c.toLowerCase() === nearest);
  if (best === undefined) return undefined;
  return distance(word.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(word.length / 3))
    ? best
    : undefined;
}

/** Unknown keys of one mapping reported one by one; the rest are counted (a file of 20,000 typos is one problem). */
const MAX_UNKNOWN_KEYS = 5;

/**
 * An object that rejects unknown keys (a typo is an error, never ignored) and names the
 * closest allowed key.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== "unrecognized_keys") return undefined;
      // One line per key, for the first few only: zodIssues reports those at their lines and counts the rest.
      return iss.keys
        .slice(0, MAX_UNKNOWN_KEYS)
        .map((k) => {
          const s = suggest(k, allowed);
          return `unknown key ${show(k)}; ${s ? `did you mean "${s}"?` : `remove it.`} Allowed keys: ${allowed.join(", ")}.`;
        })
        .join("\n");
    },
  });
}

/** A closed set of strings, with a "did you mean" when the value is close to one. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => {
      const s = typeof iss.input === "string" ? suggest(iss.input, values) : undefined;
      return `${show(iss.input)} is not a ${what}; use one of ${values.join(", ")}${s ? ` (did you mean "${s}"?)` : ""}.`;
    },
  });
}

/**
 * A Kubernetes quantity of a resource (a number or a string such as "48Gi"): any spelling
 * Kubernetes takes, not negative; kept as written in the common forms, otherwise normalised.
 */
export function quantity(what: string) {
  return z
    .union([z.number(), z.string()])
    .superRefine((value, ctx) => {
      const n = parseQuantity(value);
      if (n === undefined)
        ctx.addIssue({
          code: "custom",
          message: `${show(value)} is not a valid ${what} quantity; ${quantityHint(value)}.`,
          input: value,
        });
      else if (n < 0)
        ctx.addIssue({
          code: "custom",
          message: `${show(value)} is negative; an amount of ${what} is 0 or more.`,
          input: value,
        });
    })
    .transform(normalizedQuantity)
    .meta({ title: "quantity" });
}

/** The largest int32: the RayCluster CRD's `format: int32` fields (replicas, idleTimeoutSeconds) take no more. */
const MAX_INT32 = 2 ** 31 - 1;

export function count(what: string, min = 0) {
  return z
    .number({
      error: (iss) =>
        `expected a whole number of ${what}, got ${show(iss.input)}; write a number such as ${min + 1}.`,
    })
    .int({ error: (iss) => `expected a whole number of ${what}, got ${show(iss.input)}; drop the fraction.` })
    .min(min, { error: (iss) => `${show(iss.input)} is too small: ${what} must be at least ${min}.` })
    .max(MAX_INT32, {
      error: (iss) =>
        `${show(iss.input)} is too large: Kubernetes stores ${what} as a 32-bit integer (at most ${MAX_INT32}); use a smaller number.`,
    });
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` is not a DNS-1123 label (namespaces, most Kubernetes names), or undefined. */
export function dns1123LabelProblem(name: string, max = 63): string | undefined {
  if (name.length > max) return `${show(name)} has ${name.length} characters, more than ${max}; shorten it.`;
  if (!DNS_1123_LABEL.test(name))
    return `${show(name)} is not a valid Kubernetes name; use lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. ${show(toDnsLabel(name))}).`;
  return undefined;
}

/** Why `name` is not a DNS-1035 label (RayCluster and Service names), or undefined. */
export function dns1035LabelProblem(name: string, max = 63): string | undefined {
  if (name.length > max) return `${show(name)} has ${name.length} characters, more than ${max}; shorten it.`;
  if (!DNS_1035_LABEL.test(name))
    return `${show(name)} is not a valid name; use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. ${show(toDnsLabel(name).replace(/^[0-9-]+/, ""))}).`;
  return undefined;
}

function toDnsLabel(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "my-name"
  );
}

export function dnsLabel(kind: "1123" | "1035", max = 63) {
  const problem = kind === "1123" ? dns1123LabelProblem : dns1035LabelProblem;
  return z
    .string()
    .superRefine((name, ctx) => {
      const p = problem(name, max);
      if (p) ctx.addIssue({ code: "custom", message: p, input: name });
    })
    .meta({ title: `DNS-${kind} label, at most ${max} characters` });
}

/**
 * An image reference as the container runtime parses it: the grammar of
 * github.com/distribution/reference (regexp.go; `name[:tag][@digest]`, lowercase repository
 * path, a registry host that may have a port), at most 255 characters in the name.
 */
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN =
  "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
const IMAGE_NAME = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const IMAGE_REFERENCE =
  /^(.+?)(?::([\w][\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$/;

/** Why `image` is not a reference the container runtime can pull, or undefined. */
export function imageReferenceProblem(image: string): string | undefined {
  const m = IMAGE_REFERENCE.exec(image);
  const name = m?.[1] ?? image;
  if (m && IMAGE_NAME.test(name) && name.length <= 255) return undefined;
  const why = /\s/.test(image)
    ? "it has spaces"
    : /[A-Z]/.test(name.slice(name.indexOf("/") + 1))
      ? "its repository path has upper-case letters"
      : name.length > 255
        ? "its name is longer than 255 characters"
        : "it has characters or a shape an image reference cannot have";
  return `${show(image)} is not an image reference the container runtime can parse (${why}), so the pods would never start; write one such as us-docker.pkg.dev/my-project/ray/ray:2.52.0-py311 (lowercase path, :tag or @sha256:digest).`;
}

export function imageReference() {
  return z.string().superRefine((image, ctx) => {
    const p = imageReferenceProblem(image);
    if (p) ctx.addIssue({ code: "custom", message: p, input: image });
  });
}

/** A zod issue as "what is wrong; what to do". */
function zodMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined)
        return `is required but missing; add it (expected ${describeExpected(issue.expected)}).`;
      if (issue.expected === "string" && typeof input === "number") {
        // YAML reads 2.9 as a number and 2.10 as 2.1: versions and names must be quoted.
        return Number.isInteger(input)
          ? `${input} is a number to YAML, expected a string; quote it ("${input}").`
          : `${input} is a number to YAML, expected a string; quote it as written (YAML reads 2.50 as 2.5 and 2.10 as 2.1).`;
      }
      if (issue.message && !issue.message.startsWith("Invalid input")) return issue.message;
      return `expected ${describeExpected(issue.expected)}, got ${describeValue(input)}; change it to ${describeExpected(issue.expected)}.`;
    case "too_small":
      if (issue.origin === "array")
        return `needs at least ${issue.minimum} entr${issue.minimum === 1 ? "y" : "ies"}; add ${issue.minimum === 1 ? "one" : "more"}.`;
      if (issue.origin === "string")
        return `is empty or too short; write at least ${issue.minimum} character${issue.minimum === 1 ? "" : "s"}.`;
      return issue.message.startsWith("Too small")
        ? `${show(input)} is too small; use at least ${issue.minimum}.`
        : issue.message;
    case "too_big":
      if (issue.origin === "string") return `is too long (at most ${issue.maximum} characters); shorten it.`;
      if (issue.origin === "array") return `has more than ${issue.maximum} entries; remove some.`;
      return issue.message.startsWith("Too big")
        ? `${show(input)} is too large; use at most ${issue.maximum}.`
        : issue.message;
    case "invalid_union":
      return `${show(input)} is not valid here; ${issue.message.startsWith("Invalid input") ? "check the configuration reference (docs/team-file.md, docs/stack-config.md) for this field." : issue.message}`;
    default:
      return issue.message;
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "object":
      return "a mapping (key: value lines)";
    case "array":
      return "a list (lines starting with -)";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    case "record":
      return "a mapping (key: value lines)";
    default:
      return expected;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${show(value)}`;
}

/** Zod issues as (path, message) pairs; unknown keys point at the key itself. */
export function zodIssues(error: z.ZodError): { path: PathSegment[]; message: string; key: boolean }[] {
  const out: { path: PathSegment[]; message: string; key: boolean }[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      // One message per key, each at the key's own line, for the first few; then a count.
      const lines = issue.message.split("\n");
      issue.keys.slice(0, MAX_UNKNOWN_KEYS).forEach((key, i) => {
        const own = lines[i]?.startsWith(`unknown key ${show(key)}`) ? lines[i] : undefined;
        out.push({ path: [...path, key], message: own ?? zodMessage({ ...issue, keys: [key] }), key: true });
      });
      const more = issue.keys.length - MAX_UNKNOWN_KEYS;
      if (more > 0) {
        const named = issue.keys
          .slice(MAX_UNKNOWN_KEYS, MAX_UNKNOWN_KEYS + 3)
          .map(show)
          .join(", ");
        out.push({
          path,
          message: `has ${more} more unknown key${more === 1 ? "" : "s"} (${named}${more > 3 ? ", ..." : ""}); remove them: only the keys the configuration reference (docs/team-file.md, docs/stack-config.md) lists are read.`,
          key: false,
        });
      }
      continue;
    }
    out.push({ path, message: zodMessage(issue), key: false });
  }
  return out;
}

/** Where Helm takes an operator's chart from: its repository, unless a local chart directory is named. */
export function chartSchema(chart: string, example: string) {
  return z
    .string()
    .min(1)
    .optional()
    .meta({
      description: `A local directory holding ${chart} (absolute, or relative to the project: ${example}), for clusters that cannot reach the chart's repository; its Chart.yaml must have the version above.`,
      computedDefault: "the chart's upstream repository",
    });
}
