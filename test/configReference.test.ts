/**
 * The configuration reference (docs/team-file.md, docs/stack-config.md) is the one the schemas
 * generate, it covers every setting, and each default it states is what leaving the setting out does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, test } from "vitest";
import { parse } from "yaml";
import { type z } from "zod";
import { stackSchema } from "../config/stackFile";
import { teamSchema } from "../config/teamFile";
import {
  REFERENCE_PAGES,
  referenceTables,
  type ReferenceRow,
  type Segment,
  showPath,
  tableMarkdown,
  withProjectConfig,
  withReference,
} from "../scripts/configReference";
import { defined } from "./defined";

const PULUMI_YAML = path.join(__dirname, "..", "Pulumi.yaml");
// Computed in the tests, not when the file loads: a schema the generator refuses (a description
// gone) fails the tests, where mutation testing sees it, rather than the file's import.
let generated: ReturnType<typeof referenceTables> | undefined;
const tables = () => (generated ??= referenceTables());

test.each(REFERENCE_PAGES)("%s's configuration reference is the one the schemas generate", (page) => {
  const text = fs.readFileSync(path.join(__dirname, "..", page), "utf8");
  expect(
    text,
    `${page}'s configuration reference is stale: run \`npm run docs:config\` and commit ${page}`,
  ).toBe(withReference(page, text, tables()));
  // Each of its tables is in the page between its markers, not merely absent from both sides.
  const held = tables().filter((t) => t.page === page);
  expect(held.length).toBeGreaterThanOrEqual(2);
  for (const t of held)
    expect(text).toContain(
      `<!-- config-reference:${t.name}:start -->\n${tableMarkdown(t)}\n<!-- config-reference:${t.name}:end -->`,
    );
});

test("every table has its page, and the README holds none of them", () => {
  expect(new Set(tables().map((t) => t.page))).toEqual(new Set(REFERENCE_PAGES));
  const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  for (const t of tables()) expect(readme).not.toContain(`<!-- config-reference:${t.name}:`);
  // The README links each page.
  for (const page of REFERENCE_PAGES) expect(readme).toContain(`](${page})`);
});

test("Pulumi.yaml declares the scalar keys with the schema's descriptions and defaults", () => {
  const project = fs.readFileSync(PULUMI_YAML, "utf8");
  expect(
    project,
    "Pulumi.yaml's config descriptions or defaults are stale: run `npm run docs:config` and commit Pulumi.yaml",
  ).toBe(withProjectConfig(project, tables()));
  // It is about something: the mode's description is the schema's, word for word.
  expect(parse(project).config.mode.description).toBe(stackSchema.shape["ray-platform:mode"].description);
});

test("the reference has a row for the stack keys, node pools, team fields, RayClusters and Kueue settings", () => {
  const shown = tables().flatMap((t) => t.rows.map((r) => showPath(r.path)));
  expect(shown).toEqual(
    expect.arrayContaining([
      "ray-platform:mode",
      "ray-platform:gke.network.podsCidr",
      "ray-platform:nodePools",
      "ray-platform:nodePools[].gpu.count",
      "ray-platform:kuberay.version",
      "ray-platform:kueue.version",
      "owners",
      "quota.objects.services",
      "quota.borrowing.gpus",
      "quota.fairSharingWeight",
      "rayClusters[].head.rayStartParams",
      "rayClusters[].workerGroups[].maxReplicas",
      "rayClusters[].autoscaler.idleTimeoutSeconds",
    ]),
  );
  expect(new Set(shown).size).toBe(shown.length);
  // Every key of every object schema has its row (the generator throws on a key without a description).
  expect(
    tables()
      .find((t) => t.name === "stack")!
      .rows.filter((r) => r.path.length === 1)
      .map((r) => r.path[0]),
  ).toEqual(Object.keys(stackSchema.shape));
  expect(
    tables()
      .find((t) => t.name === "team")!
      .rows.filter((r) => r.path.length === 1)
      .map((r) => r.path[0]),
  ).toEqual(Object.keys(teamSchema.shape));
});

/**
 * The smallest valid file that reaches every setting: one item in each list and an object for
 * each object that may be left out, so that each setting can be left out on its own.
 */
const files: Record<"team" | "stack", { schema: z.ZodType; minimal: Record<string, unknown> }> = {
  team: {
    schema: teamSchema,
    minimal: {
      name: "t",
      description: "d",
      owners: ["user:a@example.com"],
      quota: { cpu: 1, memory: "1Gi", objects: {}, borrowing: {}, lending: {} },
      rayClusters: [
        { name: "c", head: {}, workerGroups: [{ name: "w", gpu: { type: "t4" } }], autoscaler: {} },
      ],
    },
  },
  stack: {
    schema: stackSchema,
    minimal: {
      "ray-platform:gke": {
        zones: ["us-central1-a"],
        authorizedNetworks: [{ cidr: "10.0.0.0/8", name: "office" }],
        network: {},
      },
      "ray-platform:nodePools": [
        { name: "p", maxNodes: 1, gpu: { type: "t4" }, capacity: { cpu: 1, memory: "1Gi" } },
      ],
      "ray-platform:kuberay": {},
      "ray-platform:ray": {},
      "ray-platform:kueue": {},
    },
  },
};
const fileOf: Record<string, keyof typeof files> = {
  team: "team",
  raycluster: "team",
  stack: "stack",
  "node-pool": "stack",
};

const step = (s: Segment) => (s === "[]" ? 0 : s);

/** The object or list holding `path`'s last step in `value`, if the value reaches it. */
function holder(value: unknown, p: readonly Segment[]): Record<string | number, unknown> | undefined {
  let at = value;
  for (const s of p.slice(0, -1))
    at = at && typeof at === "object" ? (at as Record<string | number, unknown>)[step(s)] : undefined;
  return at && typeof at === "object" ? (at as Record<string | number, unknown>) : undefined;
}
/** The key or index of `p`'s last step. */
const lastStep = (p: readonly Segment[]) => step(defined(p.at(-1), "a setting's path"));
const get = (value: unknown, p: readonly Segment[]) => holder(value, p)?.[lastStep(p)];

/** `minimal` with the setting at `p` left out, or set to `to`. */
function edited(
  minimal: Record<string, unknown>,
  p: readonly Segment[],
  to?: { value: unknown },
): Record<string, unknown> {
  const copy = structuredClone(minimal);
  const h = holder(copy, p)!;
  if (to) h[lastStep(p)] = structuredClone(to.value);
  else delete h[lastStep(p)];
  return copy;
}

test("each default the reference states is what leaving the setting out gives", () => {
  let examined = 0;
  const byKind: Record<ReferenceRow["fallback"]["kind"], number> = {
    required: 0,
    none: 0,
    computed: 0,
    value: 0,
  };
  for (const t of tables()) {
    const file = defined(fileOf[t.name], `the file table ${t.name} documents`);
    const { schema, minimal } = files[file];
    expect(schema.safeParse(minimal).success, `the minimal ${file} file is valid`).toBe(true);
    for (const row of t.rows) {
      const at = showPath(row.path);
      expect(holder(minimal, row.path), `the minimal ${file} file reaches ${at}; extend it`).toBeDefined();
      const left = schema.safeParse(edited(minimal, row.path));
      const f = row.fallback;
      if (f.kind === "required") {
        expect(left.success, `${at} is documented as required`).toBe(false);
        expect(
          left.error!.issues.map((i) => i.path.join(".")),
          at,
        ).toContain(row.path.map(step).join("."));
      } else {
        expect(left.success, `${at} may be left out`).toBe(true);
        const got = get(left.data, row.path);
        if (f.kind === "value") {
          // Writing the documented default gives what leaving it out gives (a `.default({})` that
          // skipped its fields' defaults would not), and a plain value is that value.
          expect(got, at).toEqual(get(schema.parse(edited(minimal, row.path, f)), row.path));
          if (row.type !== "object") expect(got, at).toEqual(f.value);
        } else expect(got, `${at} has no fixed default`).toBeUndefined();
      }
      byKind[f.kind]++;
      examined++;
    }
  }
  expect(examined).toBe(tables().reduce((n, t) => n + t.rows.length, 0));
  expect(byKind.value).toBeGreaterThan(40);
  expect(byKind.required).toBeGreaterThan(5);
  expect(byKind.computed).toBeGreaterThan(10);
});
