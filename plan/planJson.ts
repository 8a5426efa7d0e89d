/**
 * The plan JSON (`npm run plan -- --json`): every resource in a stable order, secrets masked.
 * The format other tools read, and what a `--diff` compares (plan/revision.ts).
 */
import * as fs from "node:fs";
import { type PlatformView } from "../config/view";
import { type Evaluation, isSecretValue } from "./engine";

/** The resources as the plan JSON lists them: sorted by URN, without what only the engine needs. */
export function planResources(ev: Evaluation) {
  return [...ev.resources]
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      parent: r.parent,
      provider: r.provider,
      inputs: r.inputs,
      options: r.options,
    }));
}

/**
 * Writes the plan JSON to `file`: the text of JSON.stringify(plan, maskSecrets, 2), written a
 * resource at a time. The whole text at once (90 MB at 1000 teams) took a plan's peak from 0.6
 * to 1 GiB, and a --diff's base is planned with it. `view` is the platform as the summary shows
 * it, made from the validated configuration.
 */
export function writePlanJson(file: string, ev: Evaluation, view: PlatformView | undefined): void {
  // Everything but the resources, whose list ends the object.
  const outline = JSON.stringify({ outputs: ev.outputs, view, resources: [] }, maskSecrets, 2);
  const emptyList = "[]\n}";
  const resources = planResources(ev);
  const fd = fs.openSync(file, "w");
  try {
    // writeFileSync on a descriptor writes the whole string, however many writes it takes.
    const write = (text: string) => fs.writeFileSync(fd, text);
    if (resources.length === 0) return write(`${outline}\n`);
    let chunk = `${outline.slice(0, -emptyList.length)}[`;
    for (const [i, r] of resources.entries()) {
      // An item of the list is indented by two levels; JSON strings hold no raw newline.
      chunk += `${i ? "," : ""}\n    ${JSON.stringify(r, maskSecrets, 2).replace(/\n/g, "\n    ")}`;
      if (chunk.length >= 1 << 20) {
        write(chunk);
        chunk = "";
      }
    }
    write(`${chunk}\n  ]\n}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

function maskSecrets(_key: string, value: unknown): unknown {
  return isSecretValue(value) ? "[secret]" : value;
}

/**
 * `value` as the plan JSON reads back (JSON.parse of its text): secrets masked, undefined
 * fields left out, undefined in arrays and non-finite numbers null. Without the text in
 * between, which at 1000 teams is 90 MB that a --diff would hold beside both plans.
 */
export function asPlanJson(value: unknown): unknown {
  const v =
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
      ? (value as { toJSON(): unknown }).toJSON()
      : value;
  if (isSecretValue(v)) return "[secret]";
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return undefined;
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((item) => asPlanJson(item) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(v)) {
    const json = asPlanJson(field);
    if (json !== undefined) out[key] = json;
  }
  return out;
}
