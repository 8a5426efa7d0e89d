/**
 * The configuration reference, generated from the zod schemas in config/: each setting's
 * description (`.meta({ description })`), its default (`.default()`/`.prefault()`, or
 * `computedDefault` when the program derives it from other settings) and its type. One table per
 * block between `<!-- config-reference:<table>:start -->` and `...:end -->` of its page
 * (REFERENCE_PAGES: docs/team-file.md for the team file's tables, docs/stack-config.md for the
 * stack's); `npm run docs:config` writes them, and the scalar keys' descriptions and defaults in
 * Pulumi.yaml; test/configReference.test.ts fails when any is stale.
 */
import { parseDocument } from "yaml";
import { z } from "zod";
import { nodePoolSchema, SCALAR_KEYS, stackSchema } from "../config/stackFile";
import { rayClusterSchema, teamSchema } from "../config/teamFile";

/** A step of a setting's path: an object key, or "[]" for every item of a list. */
export type Segment = string;

export interface ReferenceRow {
  /** From the root of the file (the team file, or the stack's config). */
  readonly path: readonly Segment[];
  readonly type: string;
  /** How the setting is set when left out. */
  readonly fallback:
    | { readonly kind: "required" }
    | { readonly kind: "none" }
    | { readonly kind: "computed"; readonly text: string }
    /** `.default(value)`, or `.prefault(value)` (parsed as if written). */
    | { readonly kind: "value"; readonly value: unknown };
  readonly description: string;
}

export interface ReferenceTable {
  /** The marker name in its page. */
  readonly name: string;
  /** The page holding the table, relative to the project (one of REFERENCE_PAGES). */
  readonly page: string;
  /** The schema file, named in the table's "generated" note. */
  readonly source: string;
  /** Where the table's settings sit in the file; rows are shown relative to it. */
  readonly root: readonly Segment[];
  readonly schema: z.ZodType;
  readonly rows: readonly ReferenceRow[];
}

/** The pages holding the reference's tables, relative to the project. */
export const REFERENCE_PAGES = ["docs/team-file.md", "docs/stack-config.md"] as const;

/** The tables: list-valued settings with a table of their own are shown as one row in their parent's. */
export function referenceTables(): ReferenceTable[] {
  const table = (
    name: string,
    page: (typeof REFERENCE_PAGES)[number],
    source: string,
    schema: z.ZodObject,
    root: Segment[],
    own: Segment[][],
  ): ReferenceTable => ({
    name,
    page,
    source,
    root,
    schema,
    rows: objectRows(schema, root, own),
  });
  const rayClusters = ["rayClusters", "[]"];
  const nodePools = ["ray-platform:nodePools", "[]"];
  return [
    table("team", "docs/team-file.md", "config/teamFile.ts, config/kueue.ts", teamSchema, [], [rayClusters]),
    table("raycluster", "docs/team-file.md", "config/teamFile.ts", rayClusterSchema, rayClusters, []),
    table(
      "stack",
      "docs/stack-config.md",
      "config/stackFile.ts, config/kueue.ts",
      stackSchema,
      [],
      [nodePools],
    ),
    table("node-pool", "docs/stack-config.md", "config/stackFile.ts", nodePoolSchema, nodePools, []),
  ];
}

function objectRows(schema: z.ZodObject, at: Segment[], own: Segment[][]): ReferenceRow[] {
  return Object.entries(schema.shape).flatMap(([key, field]) =>
    fieldRows(field as z.ZodType, [...at, key], own),
  );
}

/** A field's row, then its fields' rows (objects, and lists of objects) unless they have a table of their own. */
function fieldRows(field: z.ZodType, path: Segment[], own: Segment[][]): ReferenceRow[] {
  const { base, optional, fallbackValue, description, computedDefault } = unwrap(field);
  if (!description)
    throw new Error(`${showPath(path)} has no description; add .meta({ description }) in its schema.`);
  const fallback: ReferenceRow["fallback"] =
    fallbackValue !== undefined
      ? { kind: "value", value: fallbackValue.value }
      : computedDefault !== undefined
        ? { kind: "computed", text: computedDefault }
        : optional
          ? { kind: "none" }
          : { kind: "required" };
  const rows: ReferenceRow[] = [{ path, type: typeName(base), fallback, description }];
  if (own.some((o) => showPath(o) === showPath([...path, "[]"]))) return rows;
  if (base instanceof z.ZodObject) rows.push(...objectRows(base, path, own));
  if (base instanceof z.ZodArray) {
    const item = unwrap(base.element as z.ZodType).base;
    if (item instanceof z.ZodObject) rows.push(...objectRows(item, [...path, "[]"], own));
  }
  return rows;
}

/** The schema under `.optional()`, `.default()` and `.prefault()`, with what those layers say. */
function unwrap(field: z.ZodType) {
  let base = field;
  let optional = false;
  let fallbackValue: { value: unknown } | undefined;
  let description: string | undefined;
  let computedDefault: string | undefined;
  for (;;) {
    const meta = z.globalRegistry.get(base);
    description ??= meta?.description;
    computedDefault ??= meta?.computedDefault;
    if (base instanceof z.ZodOptional) {
      optional = true;
      base = base.unwrap() as z.ZodType;
    } else if (base instanceof z.ZodDefault || base instanceof z.ZodPrefault) {
      fallbackValue ??= { value: base._zod.def.defaultValue };
      base = base._zod.def.innerType as z.ZodType;
    } else return { base, optional, fallbackValue, description, computedDefault };
  }
}

/** What a value of `schema` is, in a reader's words: a title its building block gives, or the zod type. */
function typeName(schema: z.ZodType): string {
  const title = z.globalRegistry.get(schema)?.title;
  if (title) return title;
  if (schema instanceof z.ZodString) return "string";
  if (schema instanceof z.ZodBoolean) return "boolean";
  if (schema instanceof z.ZodNumber) return schema.isInt ? `integer ≥ ${schema.minValue}` : "number";
  if (schema instanceof z.ZodEnum) return schema.options.map((o) => `\`${String(o)}\``).join(", ");
  if (schema instanceof z.ZodUnion) {
    const names = (schema.options as z.ZodType[]).map(typeName);
    const last = names.pop() ?? "";
    return names.length === 0 ? last : `${names.join(", ")} or ${last}`;
  }
  if (schema instanceof z.ZodObject) return "object";
  if (schema instanceof z.ZodArray) {
    const item = unwrap(schema.element as z.ZodType).base;
    return item instanceof z.ZodObject ? "list of objects" : `list of ${typeName(item)}`;
  }
  if (schema instanceof z.ZodRecord) {
    const value = schema._zod.def.valueType as z.ZodType;
    return value instanceof z.ZodUnknown ? "map" : `map of ${typeName(value)}`;
  }
  throw new Error(
    `no name for a zod ${schema._zod.def.type} in the configuration reference; add a title with .meta({ title }).`,
  );
}

/** The path as the reference shows it: `ray-platform:gke.network.nodesCidr`, `workerGroups[].name`. */
export function showPath(path: readonly Segment[]): string {
  return path.reduce((shown, s) => (s === "[]" ? `${shown}[]` : shown ? `${shown}.${s}` : s), "");
}

function showFallback(r: ReferenceRow): string {
  const f = r.fallback;
  // An object left out is parsed as `{}` (.prefault): its fields' own defaults apply, shown in their rows.
  if (f.kind === "value" && r.type === "object" && isEmptyObject(f.value)) return "each field's default";
  switch (f.kind) {
    case "required":
      return "required";
    case "none":
      return "none";
    case "computed":
      return f.text;
    case "value":
      return `\`${typeof f.value === "string" ? f.value : JSON.stringify(f.value)}\``;
  }
}

const isEmptyObject = (v: unknown) => typeof v === "object" && v !== null && Object.keys(v).length === 0;

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function tableMarkdown(t: ReferenceTable): string {
  const lines = [
    `<!-- generated by \`npm run docs:config\` from ${t.source}: edit the schema, not this table -->`,
    "",
    "| setting | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...t.rows.map(
      (r) =>
        `| \`${showPath(r.path.slice(t.root.length))}\` | ${cell(r.type)} | ${cell(showFallback(r))} | ${cell(r.description)} |`,
    ),
  ];
  return lines.join("\n");
}

const marker = (name: string, end: "start" | "end") => `<!-- config-reference:${name}:${end} -->`;

/** The page `page` (its text) with the block of every table it holds replaced by the table generated now. */
export function withReference(
  page: (typeof REFERENCE_PAGES)[number],
  text: string,
  tables: readonly ReferenceTable[] = referenceTables(),
): string {
  return tables
    .filter((t) => t.page === page)
    .reduce((at, t) => {
      const start = at.indexOf(marker(t.name, "start"));
      const end = at.indexOf(marker(t.name, "end"));
      if (start < 0 || end < start)
        throw new Error(
          `${page} has no ${marker(t.name, "start")} … ${marker(t.name, "end")} block; add one where the ${t.name} table belongs.`,
        );
      return `${at.slice(0, start + marker(t.name, "start").length)}\n${tableMarkdown(t)}\n${at.slice(end)}`;
    }, text);
}

/**
 * Pulumi.yaml with each scalar key's description and default from the stack schema (Pulumi
 * project config declares them too; "" is its "unset"). Comments and the rest are kept.
 */
export function withProjectConfig(
  pulumiYaml: string,
  tables: readonly ReferenceTable[] = referenceTables(),
): string {
  const doc = parseDocument(pulumiYaml);
  const rows = tables.find((t) => t.name === "stack")!.rows;
  for (const key of SCALAR_KEYS) {
    const row = rows.find((r) => r.path.length === 1 && r.path[0] === key);
    if (!row) throw new Error(`${key} has no row in the stack table.`);
    const f = row.fallback;
    const name = key.replace(/^ray-platform:/, "");
    doc.setIn(
      ["config", name, "description"],
      f.kind === "computed" ? `${row.description} When unset: ${f.text}.` : row.description,
    );
    doc.setIn(["config", name, "default"], f.kind === "value" ? String(f.value) : "");
  }
  return doc.toString({ lineWidth: 0 });
}
