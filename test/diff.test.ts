/** The plan diff's building blocks: values compared by value, shown old → new, long ones summarised. */
import { expect, test } from "vitest";
import { fieldChanges, fieldLines, showField, type ResourceChange } from "../plan/diff";
import { type PlatformView, type TeamView } from "../plan/model";
import { teamRows } from "../plan/report";

const team = (gpuQuota: Record<string, string>, cpu = "200"): TeamView => ({
  name: "recsys",
  quota: { "requests.cpu": cpu, "requests.memory": "800Gi" },
  gpuQuota,
  owners: ["group:leads@example.com"],
  members: ["user:alice@example.com"],
  rayClusters: [],
});
const view = (...teams: TeamView[]): PlatformView => ({ pools: [], teams, counts: {} });

test("the same values in another key order are no change", () => {
  expect(fieldChanges({ spec: { hard: { a: "1", b: "2" } } }, { spec: { hard: { b: "2", a: "1" } } })).toEqual([]);
  expect(teamRows(view(team({ a100: "4", t4: "2" })), view(team({ t4: "2", a100: "4" })), [])).toEqual([]);
});

test("a changed team shows old → new for what changed only, GPU types in a stable order", () => {
  expect(teamRows(view(team({ a100: "4", t4: "2" })), view(team({ t4: "2", a100: "4" }, "240")), [])).toEqual([
    ["recsys", "changed", "200 → **240**", "800Gi", "4 a100, 2 t4", "-", "1", "none"],
  ]);
});

test("every changed field shows old → new; list items by name; long values summarised", () => {
  const before = { spec: { workerGroupSpecs: [{ groupName: "t4", maxReplicas: 4 }] }, data: { "intro.ipynb": "a\nb" } };
  const after = { spec: { workerGroupSpecs: [{ groupName: "t4", maxReplicas: 6 }] }, data: { "intro.ipynb": "a\nb\nc" } };
  expect(fieldChanges(before, after).map(showField)).toEqual([
    "data.intro.ipynb: changed (2 lines, 3 characters) → (3 lines, 5 characters)",
    "spec.workerGroupSpecs[t4].maxReplicas: 4 → 6",
  ]);
  expect(showField({ path: "subjects[bob@example.com]", before: undefined, after: { kind: "User", name: "bob@example.com", apiGroup: "rbac.authorization.k8s.io" } })).toBe(
    "subjects[bob@example.com]: added User bob@example.com",
  );
  const crd = { type: "t", name: "n", urn: "u", label: "l", kind: "change", retained: false, fields: Array.from({ length: 12 }, (_, i) => ({ path: `f${i}`, before: i, after: i + 1 })) } satisfies ResourceChange;
  expect(fieldLines(crd)).toHaveLength(9);
  expect(fieldLines(crd)[8]).toBe("... and 4 more fields");
});
