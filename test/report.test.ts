/**
 * The pull request's Markdown report (plan/report.ts), built in-process from plan diffs and
 * views made here: what a reviewer reads, line by line. test/plan.test.ts checks the whole
 * report of a real diff through the CLI; this file is what mutation testing runs for the
 * report (the CLI's subprocesses run no mutant).
 *
 * Mutation testing (npm run test:mutation) leaves six mutants of plan/report.ts alive, all
 * equivalent or unreachable:
 * - membersColumn's `valueColumn("", …).cell(b, h, [])` with another title, or with changes
 *   (`["Stryker was here"]`): that column is made for its cell alone, which reads neither.
 * - membersColumn's `b ? memberList(b) : []` with another list for no base, and
 *   rayClustersColumn's `b?.rayClusters` as `b.rayClusters` for no head: teamRows calls a
 *   cell only for a team of the base or the head, so one of the two is always there.
 * - `/→ (.*)$/` as `/→ (.*)/`: showField's line has no line break, so `.*` runs to its end anyway.
 * - partOf's `/^gke-/` as `/gke-/`: every NodePool is named `gke-<pool>` (the GKE component is
 *   "gke", components/platform.ts), so its first `gke-` is where the name starts.
 */
import { describe, expect, test } from "vitest";
import { type PlatformView, type RayClusterView, type TeamView } from "../config/view";
import { type FieldChange, type PlanDiff, type ResourceChange } from "../plan/diff";
import { markdownReport, TEAM_COLUMNS, teamRows } from "../plan/report";

const team = (name: string, more: Partial<TeamView> = {}): TeamView => ({
  name,
  quota: { "requests.cpu": "200", "requests.memory": "800Gi" },
  gpuQuota: { t4: "2" },
  owners: [],
  members: [],
  rayClusters: [],
  ...more,
});
const group = (name: string, pool?: string) => ({
  name,
  replicas: "1",
  minReplicas: 1,
  maxReplicas: 1,
  cpus: "4",
  gpus: 0,
  memory: "16Gi",
  ...(pool ? { pool } : {}),
});
const clusters = (...names: string[]): RayClusterView[] =>
  names.map((name) => ({
    name,
    namespace: "ns",
    rayVersion: "2.52.0",
    image: "rayproject/ray:2.52.0",
    autoscaling: false,
    endpoints: {},
    head: group("head"),
    workers: [],
  }));
const view = (...teams: TeamView[]): PlatformView => ({ pools: [], teams, counts: {} });

/** A resource change as plan/diff.ts makes it; `parents` are the URN's component types. */
const change = (
  kind: ResourceChange["kind"],
  type: string,
  label: string,
  more: { team?: string; parents?: string[]; name?: string; fields?: FieldChange[]; retained?: boolean } = {},
): ResourceChange => {
  const name = more.name ?? label.split(/[ /]/).pop()!;
  return {
    type,
    name,
    urn: `urn:pulumi:dev::ray-platform::${[...(more.parents ?? []), type].join("$")}::${name}`,
    label,
    kind,
    fields: more.fields ?? [],
    retained: more.retained ?? false,
    ...(more.team ? { team: more.team } : {}),
  };
};
const RC = "kubernetes:ray.io/v1:RayCluster";
const TEAM_PARENTS = ["ray-platform:tenancy:Team"];
const rcChange = (kind: ResourceChange["kind"], team: string, name: string, fields: FieldChange[] = []) =>
  change(kind, RC, `RayCluster ${team}/${name}`, { team, parents: TEAM_PARENTS, fields });
const diff = (changes: ResourceChange[], more: Partial<PlanDiff> = {}): PlanDiff => ({
  changes,
  dangers: [],
  removedTeams: [],
  ...more,
});
const OPTS = { stack: "dev", baseRef: "main", maxCostIncrease: Infinity };
const HEADER = [
  "<!-- ray-platform-plan -->",
  "## ray-platform plan: stack `dev` against `main`",
  "",
  "_Offline plan, computed without credentials by the code under review: advisory. The preview and the reviewed deploy are authoritative._",
  "",
];
const CLASSES = [
  "  classDef added fill:#d4f8d4,stroke:#2a2",
  "  classDef changed fill:#fff3c4,stroke:#c90",
  "  classDef removed fill:#fdd,stroke:#c22",
  "```",
];
const lines = (md: string) => md.split("\n");
/** The lines of the section headed `title`, up to the next heading. */
const section = (md: string, title: string) => {
  const all = lines(md);
  const start = all.indexOf(title);
  if (start < 0) return undefined;
  const end = all.findIndex((l, i) => i > start && /^(### |<details>)/.test(l));
  return all.slice(start, end < 0 ? undefined : end);
};

describe("the report's frame", () => {
  test("no changes: the header, and that pulumi up would change nothing", () => {
    expect(markdownReport(diff([]), view(team("recsys")), view(team("recsys")), OPTS)).toBe(
      [...HEADER, "No changes: `pulumi up` would leave the platform as it is.", ""].join("\n"),
    );
  });

  test("a note is shown under the header, and a base without a view says what is left out", () => {
    expect(
      lines(
        markdownReport(diff([]), undefined, view(), { ...OPTS, baseRef: "v1.2", note: "Base failed: x" }),
      ),
    ).toEqual([
      "<!-- ray-platform-plan -->",
      "## ray-platform plan: stack `dev` against `v1.2`",
      "",
      HEADER[3],
      "",
      "_Base failed: x_",
      "",
      "_`v1.2` predates the configuration view in the plan (plan/model.ts), so its teams and costs are not compared: no team table or cost section. Every resource change is listed below._",
      "",
      "No changes: `pulumi up` would leave the platform as it is.",
      "",
    ]);
  });

  test("without a base view, changes are listed with no team table or costs", () => {
    const md = markdownReport(
      diff([
        change("change", "kubernetes:core/v1:ResourceQuota", "ResourceQuota recsys/team-quota", {
          team: "recsys",
        }),
      ]),
      undefined,
      view(team("recsys", { quota: { "requests.cpu": "240" } })),
      OPTS,
    );
    expect(md).toContain("**0 to add, 1 to change, 0 to remove.**");
    expect(md).not.toMatch(/### Teams|### Cost/);
    expect(md).toContain("| ~ | `ResourceQuota recsys/team-quota` | `kubernetes:core/v1:ResourceQuota` |  |");
  });

  test("dangers come first, as a warning, before the counts", () => {
    const md = markdownReport(
      diff(
        [
          change("remove", "kubernetes:core/v1:Namespace", "Namespace old", { team: "old" }),
          change("remove", "gcp:storage/bucket:Bucket", "Bucket b", { team: "old" }),
          change("add", "kubernetes:core/v1:ConfigMap", "ConfigMap recsys/c", { team: "recsys" }),
        ],
        {
          dangers: [
            { urn: "u1", what: "namespace old is DELETED" },
            { urn: "u2", what: "bucket b is DELETED" },
          ],
        },
      ),
      undefined,
      view(),
      OPTS,
    );
    expect(lines(md).slice(7, 14)).toEqual([
      "> [!WARNING]",
      "> **Dangerous changes**: review these before merging.",
      "> - namespace old is DELETED",
      "> - bucket b is DELETED",
      "",
      "**1 to add, 0 to change, 2 to remove.**",
      "",
    ]);
  });

  test("changes of the platform itself (no team, no component) add no part to the picture", () => {
    const md = markdownReport(
      diff([
        change("remove", "pulumi:providers:kubernetes", "provider k8s"),
        change("add", RC, "RayCluster default/smoke"),
      ]),
      view(),
      view(),
      OPTS,
    );
    expect(section(md, "### What is affected")).toEqual([
      "### What is affected",
      "",
      "```mermaid",
      "flowchart LR",
      '  platform["ray-platform"]',
      ...CLASSES,
      "",
    ]);
  });

  test("changes outside teams make no team table", () => {
    const md = markdownReport(
      diff([
        change("change", "gcp:container/cluster:Cluster", "Cluster ray", {
          parents: ["ray-platform:gke:Cluster"],
        }),
      ]),
      view(team("recsys")),
      view(team("recsys")),
      OPTS,
    );
    expect(md).not.toContain("### Teams");
    expect(md).not.toContain("WARNING");
  });
});

describe("the whole report of a pull request", () => {
  const base = view(
    team("recsys", {
      members: ["user:alice@example.com"],
      rayClusters: clusters("two-tower", "old-one"),
    }),
    team("gone", {
      members: ["user:maria@example.com"],
      owners: ["user:maria@example.com"],
      rayClusters: clusters("gnn"),
    }),
  );
  const head = view(
    team("recsys", {
      members: ["user:alice@example.com"],
      quota: { "requests.cpu": "240", "requests.memory": "800Gi" },
      rayClusters: clusters("new-one", "two-tower"),
    }),
    team("added", { members: ["user:bob@example.com"], owners: ["user:bob@example.com"], gpuQuota: {} }),
  );
  const gone = {
    gnn: rcChange("remove", "gone", "gnn"),
    namespace: change("remove", "kubernetes:core/v1:Namespace", "Namespace gone", {
      team: "gone",
      parents: TEAM_PARENTS,
      retained: true,
    }),
    bucket: change("remove", "gcp:storage/bucket:Bucket", "Bucket gone-data", {
      team: "gone",
      parents: TEAM_PARENTS,
      retained: true,
    }),
    owners: change(
      "remove",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      "RoleBinding gone/owners",
      {
        team: "gone",
        parents: TEAM_PARENTS,
      },
    ),
  };
  // In the order the plan lists them, which is not the clusters' name order.
  const changes = [
    gone.gnn,
    gone.namespace,
    gone.bucket,
    gone.owners,
    change("add", "kubernetes:core/v1:Namespace", "Namespace added", {
      team: "added",
      parents: TEAM_PARENTS,
    }),
    rcChange("change", "recsys", "two-tower", [
      { path: "spec.workerGroupSpecs[t4].maxReplicas", before: 4, after: 16 },
      { path: "spec.rayVersion", before: "2.51.0", after: "2.52.0" },
    ]),
    rcChange("add", "recsys", "new-one"),
    rcChange("remove", "recsys", "old-one"),
    change("change", "kubernetes:core/v1:ConfigMap", "ConfigMap recsys/notes", {
      team: "recsys",
      parents: TEAM_PARENTS,
      fields: [{ path: "data.note", before: "a|b", after: "`c`" }],
    }),
    // A pool replaced: its new node pool is made and the old one removed.
    change("add", "gcp:container/nodePool:NodePool", "NodePool t4-workers", {
      name: "gke-t4-workers",
      parents: ["ray-platform:gke:Cluster", "ray-platform:gke:NodePool"],
    }),
    change("remove", "gcp:container/nodePool:NodePool", "NodePool t4-workers", {
      name: "gke-t4-workers",
      parents: ["ray-platform:gke:Cluster", "ray-platform:gke:NodePool"],
    }),
    change("change", "gcp:container/cluster:Cluster", "Cluster ray", {
      parents: ["ray-platform:gke:Cluster"],
    }),
    change("add", "kubernetes:helm.sh/v3:Release", "Release kuberay-operator", {
      parents: ["ray-platform:kuberay:Operator"],
    }),
    change("change", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "ClusterRole ray-user", {
      parents: ["ray-platform:tenancy:Base"],
    }),
    change("add", "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "Policy new-rule", {
      parents: ["ray-platform:tenancy:Base"],
    }),
    // The program's own provider: in the list, not in the picture.
    change("change", "pulumi:providers:kubernetes", "provider k8s", { parents: [] }),
    // A RayCluster of no team (made in the program itself): not drawn under a team.
    change("add", RC, "RayCluster default/smoke", { parents: [] }),
  ];
  const removedTeams = [
    { team: "gone", retained: [gone.namespace, gone.bucket], deleted: [gone.gnn, gone.owners] },
    { team: "empty", retained: [], deleted: [] },
  ];
  // Made in each test: a report that throws must fail tests, not the file's loading.
  const report = () => markdownReport(diff(changes, { removedTeams }), base, head, OPTS);

  test("counts what is added, changed and removed", () => {
    expect(lines(report())[5]).toBe("**6 to add, 5 to change, 6 to remove.**");
  });

  test("the team table: one row per changed team, sorted, with what changed old → new", () => {
    expect(section(report(), "### Teams")).toEqual([
      "### Teams",
      "",
      "| team | change | CPU quota | memory quota | GPU quota | queue | members | RayClusters |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      "| added | added | - → **200** | - → **800Gi** | - → **none** | - | **user:bob@example.com (owner)** | none |",
      "| gone | removed | 200 → **-** | 800Gi → **-** | 2 t4 → **-** | - | 1 → **-** (-user:maria@example.com (owner)) | gnn → **-** |",
      "| recsys | changed | 200 → **240** | 800Gi | 2 t4 | - | 1 | **+new-one**, two-tower (workerGroupSpecs[t4].maxReplicas: 4 → **16**; rayVersion: 2.51.0 → **2.52.0**), ~~old-one~~ |",
      "",
    ]);
  });

  test("each removed team: what is retained and what is deleted, or nothing", () => {
    expect(section(report(), "### Team gone removed")).toEqual([
      "### Team gone removed",
      "",
      "- **Retained** (kept in the cluster or GCP, no longer managed by Pulumi: `retainOnDelete`): `Namespace gone`, `Bucket gone-data`",
      "- **Deleted**: `RayCluster gone/gnn`, `RoleBinding gone/owners`",
      "",
    ]);
    expect(section(report(), "### Team empty removed")).toEqual([
      "### Team empty removed",
      "",
      "- **Retained** (kept in the cluster or GCP, no longer managed by Pulumi: `retainOnDelete`): nothing",
      "- **Deleted**: nothing",
      "",
    ]);
  });

  test("the picture: each part that changes with its signs, RayClusters under their team", () => {
    expect(section(report(), "### What is affected")).toEqual([
      "### What is affected",
      "",
      "```mermaid",
      "flowchart LR",
      '  platform["ray-platform"]',
      '  platform --> GKE_cluster["GKE cluster (~)"]:::changed',
      '  platform --> KubeRay_operator["KubeRay operator (+)"]:::added',
      '  platform --> cluster_wide_tenancy["cluster-wide tenancy (+~)"]:::changed',
      '  platform --> pool_t4_workers["pool t4-workers (+-)"]:::removed',
      '  platform --> team_added["team added (+)"]:::added',
      '  platform --> team_gone["team gone (-)"]:::removed',
      '  platform --> team_recsys["team recsys (+~-)"]:::removed',
      '  team_gone --> rc_gone_gnn["RayCluster gnn (-)"]:::removed',
      '  team_recsys --> rc_recsys_new_one["RayCluster new-one (+)"]:::added',
      '  team_recsys --> rc_recsys_old_one["RayCluster old-one (-)"]:::removed',
      '  team_recsys --> rc_recsys_two_tower["RayCluster two-tower (~)"]:::changed',
      ...CLASSES,
      "",
    ]);
  });

  test("every change in a table, retained ones marked, fields escaped for Markdown", () => {
    const all = lines(report());
    const table = all.slice(all.indexOf("<details><summary>Every change</summary>"));
    expect(table).toEqual([
      "<details><summary>Every change</summary>",
      "",
      "| | resource | type | fields |",
      "| --- | --- | --- | --- |",
      "| - | `RayCluster gone/gnn` | `kubernetes:ray.io/v1:RayCluster` |  |",
      "| - | `Namespace gone` | `kubernetes:core/v1:Namespace` | retained, no longer managed |",
      "| - | `Bucket gone-data` | `gcp:storage/bucket:Bucket` | retained, no longer managed |",
      "| - | `RoleBinding gone/owners` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` |  |",
      "| + | `Namespace added` | `kubernetes:core/v1:Namespace` |  |",
      "| ~ | `RayCluster recsys/two-tower` | `kubernetes:ray.io/v1:RayCluster` | `spec.workerGroupSpecs[t4].maxReplicas: 4 → 16`<br>`spec.rayVersion: 2.51.0 → 2.52.0` |",
      "| + | `RayCluster recsys/new-one` | `kubernetes:ray.io/v1:RayCluster` |  |",
      "| - | `RayCluster recsys/old-one` | `kubernetes:ray.io/v1:RayCluster` |  |",
      "| ~ | `ConfigMap recsys/notes` | `kubernetes:core/v1:ConfigMap` | `data.note: a\\|b → 'c'` |",
      "| + | `NodePool t4-workers` | `gcp:container/nodePool:NodePool` |  |",
      "| - | `NodePool t4-workers` | `gcp:container/nodePool:NodePool` |  |",
      "| ~ | `Cluster ray` | `gcp:container/cluster:Cluster` |  |",
      "| + | `Release kuberay-operator` | `kubernetes:helm.sh/v3:Release` |  |",
      "| ~ | `ClusterRole ray-user` | `kubernetes:rbac.authorization.k8s.io/v1:ClusterRole` |  |",
      "| + | `Policy new-rule` | `kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy` |  |",
      "| ~ | `provider k8s` | `pulumi:providers:kubernetes` |  |",
      "| + | `RayCluster default/smoke` | `kubernetes:ray.io/v1:RayCluster` |  |",
      "",
      "</details>",
      "",
      "",
    ]);
  });

  test("the sections come in order: dangers, counts, teams, removed teams, costs, picture, every change", () => {
    const headings = lines(report()).filter((l) => l.startsWith("### ") || l.startsWith("<details>"));
    expect(headings).toEqual([
      "### Teams",
      "### Team gone removed",
      "### Team empty removed",
      "### What is affected",
      "<details><summary>Every change</summary>",
    ]);
  });
});

describe("costs", () => {
  const pool = (name: string, maxNodes: number) => ({
    name,
    gkeName: `${name}-1a2b`,
    machineType: "n2-standard-16",
    role: "ray-worker",
    minNodes: 0,
    maxNodes,
    spot: false,
    zones: ["us-central1-a"],
  });
  const gkeView = (cpu: string, maxNodes: number): PlatformView => ({
    ...view(team("recsys", { quota: { "requests.cpu": cpu, "requests.memory": "800Gi" }, gpuQuota: {} })),
    cluster: { location: "us-central1" } as PlatformView["cluster"],
    pools: [pool("cpu-workers", maxNodes)],
  });
  const quota = change("change", "kubernetes:core/v1:ResourceQuota", "ResourceQuota recsys/team-quota", {
    team: "recsys",
  });

  test("with a base view, the cost section follows the teams, with a caution past maxCostIncrease", () => {
    const report = (maxCostIncrease: number) =>
      markdownReport(diff([quota]), gkeView("200", 4), gkeView("240", 8), { ...OPTS, maxCostIncrease });
    const cost = section(report(Infinity), "### Cost")!;
    expect(cost[2]).toMatch(/^- recsys: ceiling \+\$[\d,]+\/month \(.* → .*\), quota.cpu 200 → 240$/);
    expect(cost).toContainEqual(
      expect.stringMatching(/^- stack at maximum scale: \$[\d,]+\/month \(\+\$[\d,]+\)$/),
    );
    expect(cost).not.toContain("> [!CAUTION]");
    expect(section(report(100), "### Cost")!.slice(2, 4)).toEqual([
      "> [!CAUTION]",
      expect.stringMatching(
        /^> \*\*Dangerous cost change\*\*: the stack's maximum cost rises by .*\(\$100\)\.$/,
      ),
    ]);
    expect(lines(report(Infinity)).filter((l) => l.startsWith("### "))).toEqual([
      "### Teams",
      "### Cost",
      "### What is affected",
    ]);
  });
});

describe("the team table's cells", () => {
  const cells = (b: TeamView | undefined, h: TeamView | undefined, changes: ResourceChange[] = []) =>
    Object.fromEntries(TEAM_COLUMNS.map((c) => [c.title, c.cell(b, h, changes)]));

  test("CPU and memory quota: a quota without them shows -", () => {
    const cpuOnly = team("t", { quota: { "requests.cpu": "8" } });
    expect(cells(cpuOnly, cpuOnly)).toMatchObject({ "CPU quota": "8", "memory quota": "-" });
    expect(cells(undefined, team("t", { quota: {} }))).toMatchObject({
      "CPU quota": "-",
      "memory quota": "-",
    });
  });

  test("GPU quota: types in name order, those at 0 left out, none when nothing is left", () => {
    expect(cells(undefined, team("t", { gpuQuota: { t4: "2", l4: "0", a100: "4" } }))["GPU quota"]).toBe(
      "- → **4 a100, 2 t4**",
    );
    const zero = team("t", { gpuQuota: { t4: "0" } });
    expect(cells(zero, zero)["GPU quota"]).toBe("none");
  });

  test("queue: what the team may borrow and lend, and its weight", () => {
    const queue = (more: Partial<NonNullable<TeamView["queue"]>>) =>
      team("t", {
        queue: {
          clusterQueue: "t",
          localQueues: ["default"],
          nominal: {},
          borrowing: {},
          lending: {},
          weight: "1",
          ...more,
        },
      });
    const q = (t: TeamView) => cells(t, t).queue;
    expect(q(queue({}))).toBe("borrow none; lend all idle; weight 1");
    expect(
      q(queue({ borrowing: { t4: "4", cpu: "64", a100: "0" }, lending: { t4: "2", cpu: "0" }, weight: "2" })),
    ).toBe("borrow cpu 64, t4 4; lend at most t4 2; weight 2");
    expect(q(queue({ lending: { cpu: "0" }, weight: undefined as unknown as string }))).toBe(
      "borrow none; lend all idle; weight 1",
    );
    expect(q(team("t"))).toBe("-");
  });

  test("members: everyone a new team lets in, the count when unchanged, who came and went otherwise", () => {
    expect(cells(undefined, team("t")).members).toBe("**none**");
    const two = team("t", {
      members: ["user:a@example.com", "user:b@example.com"],
      owners: ["user:a@example.com"],
    });
    expect(cells(undefined, two).members).toBe("**user:a@example.com (owner), user:b@example.com**");
    expect(cells(two, two).members).toBe("2");
    expect(cells(two, { ...two, members: ["user:a@example.com", "user:c@example.com"] }).members).toBe(
      "2 → **2** (+user:c@example.com, -user:b@example.com)",
    );
    expect(cells(two, { ...two, owners: [] }).members).toBe(
      "2 → **2** (+user:a@example.com, -user:a@example.com (owner))",
    );
  });

  test("RayClusters: added in bold, changed with their fields, removed struck out; a metadata field keeps its path", () => {
    const b = team("t", { rayClusters: clusters("a", "b") });
    expect(cells(b, b).RayClusters).toBe("a, b");
    expect(cells(team("t"), team("t")).RayClusters).toBe("none");
    expect(cells(b, undefined).RayClusters).toBe("a, b → **-**");
    expect(cells(team("t"), undefined).RayClusters).toBe("none → **-**");
    const described = rcChange("change", "t", "a", [
      { path: "metadata.annotations.example.com/spec.note", before: "x", after: "yz" },
    ]);
    // A change of another type, or of another team's cluster of the same name, is not this cluster's.
    const other = change("change", "kubernetes:core/v1:Service", "Service t/a", { team: "t" });
    expect(cells(b, b, [described, other]).RayClusters).toBe(
      "a (metadata.annotations.example.com/spec.note: x → **yz**), b",
    );
  });

  test("teams in name order; a team whose view is the same but whose resources change has a row", () => {
    const rb = change("change", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "RoleBinding b/x", {
      team: "b",
    });
    const rows = teamRows(view(team("c"), team("b")), view(team("b"), team("a")), [rb]);
    expect(rows.map((r) => r.slice(0, 2))).toEqual([
      ["a", "added"],
      ["b", "changed"],
      ["c", "removed"],
    ]);
    expect(rows[1]?.slice(2)).toEqual(["200", "800Gi", "2 t4", "-", "0", "none"]);
  });
});
