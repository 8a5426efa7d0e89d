/** The plan diff's building blocks: values compared by value, shown old → new, long ones summarised. */
import { describe, expect, test } from "vitest";
import { fieldChanges, fieldLines, showField, type ResourceChange } from "../plan/diff";
import { type PlatformView, type TeamView } from "../config/view";
import { markdownReport, teamRows } from "../plan/report";
import { restartReason } from "../plan/restarts";

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
  expect(
    fieldChanges({ spec: { hard: { a: "1", b: "2" } } }, { spec: { hard: { b: "2", a: "1" } } }),
  ).toEqual([]);
  expect(teamRows(view(team({ a100: "4", t4: "2" })), view(team({ t4: "2", a100: "4" })), [])).toEqual([]);
});

test("a changed team shows old → new for what changed only, GPU types in a stable order", () => {
  expect(teamRows(view(team({ a100: "4", t4: "2" })), view(team({ t4: "2", a100: "4" }, "240")), [])).toEqual(
    [["recsys", "changed", "200 → **240**", "800Gi", "4 a100, 2 t4", "-", "1", "none"]],
  );
});

test("every changed field shows old → new; list items by name; long values summarised", () => {
  const before = {
    spec: { workerGroupSpecs: [{ groupName: "t4", maxReplicas: 4 }] },
    data: { "intro.ipynb": "a\nb" },
  };
  const after = {
    spec: { workerGroupSpecs: [{ groupName: "t4", maxReplicas: 6 }] },
    data: { "intro.ipynb": "a\nb\nc" },
  };
  expect(fieldChanges(before, after).map(showField)).toEqual([
    "data.intro.ipynb: changed (2 lines, 3 characters) → (3 lines, 5 characters)",
    "spec.workerGroupSpecs[t4].maxReplicas: 4 → 6",
  ]);
  expect(
    showField({
      path: "subjects[bob@example.com]",
      before: undefined,
      after: { kind: "User", name: "bob@example.com", apiGroup: "rbac.authorization.k8s.io" },
    }),
  ).toBe("subjects[bob@example.com]: added User bob@example.com");
  const crd = {
    type: "t",
    name: "n",
    urn: "u",
    label: "l",
    kind: "change",
    retained: false,
    fields: Array.from({ length: 12 }, (_, i) => ({ path: `f${i}`, before: i, after: i + 1 })),
  } satisfies ResourceChange;
  expect(fieldLines(crd)).toHaveLength(9);
  expect(fieldLines(crd)[8]).toBe("... and 4 more fields");
});

describe("lists of named items are matched by name", () => {
  const g = (name: string, maxReplicas = 4) => ({ groupName: name, maxReplicas });
  const rc = (...groups: unknown[]) => ({ spec: { workerGroupSpecs: groups } });

  test("swapping two worker groups reads as a new order, not as their fields changing", () => {
    expect(fieldChanges(rc(g("a"), g("b")), rc(g("b"), g("a"))).map(showField)).toEqual([
      "spec.workerGroupSpecs (order): a, b → b, a",
    ]);
    expect(fieldChanges(rc(g("a"), g("b")), rc(g("b", 6), g("a"))).map(showField)).toEqual([
      "spec.workerGroupSpecs (order): a, b → b, a",
      "spec.workerGroupSpecs[b].maxReplicas: 4 → 6",
    ]);
  });

  test("an item added or removed anywhere is that item alone, and no new order", () => {
    expect(fieldChanges(rc(g("a"), g("b")), rc(g("c"), g("a"), g("b"))).map((f) => f.path)).toEqual([
      "spec.workerGroupSpecs[c]",
    ]);
    expect(fieldChanges(rc(g("a"), g("b"), g("c")), rc(g("a"), g("c"))).map(showField)).toEqual([
      'spec.workerGroupSpecs[b]: removed {"groupName":"b","maxReplicas":4}',
    ]);
  });

  test("named lists nested in named items (containers, env) match by name too; lists without names by position", () => {
    const pod = (env: unknown[], args: string[]) => ({ containers: [{ name: "ray", env, args }] });
    const changes = fieldChanges(
      pod(
        [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        ["x", "y"],
      ),
      pod(
        [
          { name: "B", value: "3" },
          { name: "A", value: "1" },
        ],
        ["y", "x"],
      ),
    );
    expect(changes.map(showField)).toEqual([
      "containers[ray].args[0]: x → y",
      "containers[ray].args[1]: y → x",
      "containers[ray].env (order): A, B → B, A",
      "containers[ray].env[B].value: 2 → 3",
    ]);
  });

  test("items with a repeated name are compared by position", () => {
    expect(fieldChanges(rc(g("a"), g("a", 2)), rc(g("a", 2), g("a"))).map(showField)).toEqual([
      "spec.workerGroupSpecs[0].maxReplicas: 4 → 2",
      "spec.workerGroupSpecs[1].maxReplicas: 2 → 4",
    ]);
  });
});

describe("which RayCluster edits restart the cluster (Kueue admits it again)", () => {
  const container = (memory: string) => ({
    name: "ray-worker",
    image: "rayproject/ray:2.52.0",
    resources: { requests: { memory } },
  });
  const group = (name: string, over: Record<string, unknown> = {}) => ({
    groupName: name,
    minReplicas: 0,
    maxReplicas: 4,
    template: { spec: { containers: [container("8Gi")] } },
    ...over,
  });
  const rc = (groups: Record<string, unknown>[], elastic: boolean, head = container("4Gi")) => ({
    metadata: { annotations: elastic ? { "kueue.x-k8s.io/elastic-job": "true" } : {} },
    spec: { headGroupSpec: { template: { spec: { containers: [head] } } }, workerGroupSpecs: groups },
  });

  test("a new or removed group restarts any cluster; a container or a count restarts a fixed-size one", () => {
    for (const elastic of [true, false]) {
      expect(restartReason(rc([group("a")], elastic), rc([group("a"), group("b")], elastic))).toBe(
        "worker groups +b",
      );
      expect(restartReason(rc([group("a"), group("b")], elastic), rc([group("b")], elastic))).toBe(
        "worker groups -a",
      );
    }
    expect(
      restartReason(
        rc([group("a")], false),
        rc([group("a", { template: { spec: { containers: [container("16Gi")] } } })], false),
      ),
    ).toBe("a containers");
    expect(restartReason(rc([group("a")], false), rc([group("a")], false, container("8Gi")))).toBe(
      "head containers",
    );
    expect(
      restartReason(rc([group("a", { replicas: 1 })], false), rc([group("a", { replicas: 2 })], false)),
    ).toBe("a count");
  });

  test("an autoscaled cluster's containers and counts, bounds, Ray's start parameters and descriptions do not", () => {
    expect(
      restartReason(
        rc([group("a")], true),
        rc([group("a", { template: { spec: { containers: [container("16Gi")] } } })], true, container("8Gi")),
      ),
    ).toBeUndefined();
    expect(
      restartReason(
        rc([group("a")], true),
        rc([group("a", { maxReplicas: 6, rayStartParams: { "num-cpus": "4" } })], true),
      ),
    ).toBeUndefined();
    expect(
      restartReason(rc([group("a", { replicas: 1 })], true), rc([group("a", { replicas: 3 })], true)),
    ).toBeUndefined();
    const described = rc([group("a")], true);
    expect(
      restartReason(described, {
        ...described,
        metadata: { annotations: { ...described.metadata.annotations, "ray-platform/description": "new" } },
      }),
    ).toBeUndefined();
  });
});

test("the members cell names everyone a new team lets in, owners marked; a change names who came and who went (issues 24, 26)", () => {
  const added = teamRows(
    view(),
    view({
      ...team({ t4: "2" }),
      owners: ["group:leads@example.com"],
      members: ["group:leads@example.com", "user:alice@example.com"],
    }),
    [],
  );
  expect(added[0]?.[6]).toBe("**group:leads@example.com (owner), user:alice@example.com**");
  const before = {
    ...team({ t4: "2" }),
    owners: ["user:ana@example.com"],
    members: ["user:ana@example.com", "user:bob@example.com"],
  };
  const after = {
    ...before,
    owners: ["user:bob@example.com"],
    members: ["user:bob@example.com", "user:carl@example.com"],
  };
  expect(teamRows(view(before), view(after), [])[0]?.[6]).toBe(
    "2 → **2** (+user:bob@example.com (owner), +user:carl@example.com, -user:ana@example.com (owner), -user:bob@example.com)",
  );
});

describe("the PR report names who loses access (issue 26)", () => {
  const before = {
    ...team({}),
    owners: ["user:ana@example.com"],
    members: ["user:ana@example.com", "user:bob@example.com", "group:ml@example.com"],
  };
  const rolebinding = (team: string): ResourceChange => ({
    type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    name: `${team}-users`,
    urn: "u",
    label: `RoleBinding ${team}/ray-users`,
    kind: "change",
    retained: false,
    fields: [],
    team,
  });
  const report = (head: PlatformView) =>
    markdownReport({ changes: [rolebinding("recsys")], dangers: [], removedTeams: [] }, view(before), head, {
      stack: "dev",
      baseRef: "main",
      maxCostIncrease: Infinity,
    });
  const row = (md: string) =>
    md
      .split("\n")
      .find((l) => l.startsWith("| recsys |"))!
      .split(" | ")[6];

  test("a change that only removes members names each of them", () => {
    const after = { ...before, members: ["user:ana@example.com"] };
    expect(row(report(view(after)))).toBe("3 → **1** (-user:bob@example.com, -group:ml@example.com)");
  });

  test("a removed team names every member it locks out, owners marked", () => {
    expect(row(report(view()))).toBe(
      "3 → **-** (-user:ana@example.com (owner), -user:bob@example.com, -group:ml@example.com)",
    );
  });
});
