/** `npm run plan`: the offline plan's outputs (--json, --out, --diff/--report) and exit codes. */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { type TeamView } from "../config/view";
import { main } from "../plan/cli";
import { baseCacheDir, baseCacheFile, readCachedPlan } from "../plan/revision";
import { tsNodeArgv } from "../plan/nodeArgs";
import { TEAM_COLUMNS } from "../plan/report";
import { ManifestValidator, gkeCrds } from "./schemas";
import { defined } from "./defined";
import { PROJECT_DIR, projectWithFixtureStack } from "./mocks";

/**
 * Run the plan CLI as `npm run plan` does, in its own process: for what only a process shows
 * (its exit status, what reaches its streams). The rest runs it in this one (planHere).
 */
function plan(args: string[], projectDir = PROJECT_DIR) {
  const r = spawnSync(
    process.execPath,
    tsNodeArgv(PROJECT_DIR, path.join(PROJECT_DIR, "plan/cli.ts"), ["--project-dir", projectDir, ...args]),
    { encoding: "utf8", cwd: projectDir },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same CLI (plan/cli.ts main) in this process, its output captured; a --diff base still plans in a child. */
async function planHere(args: string[], projectDir = PROJECT_DIR) {
  let [stdout, stderr] = ["", ""];
  const code = await main(["--project-dir", projectDir, ...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-plan-"));

describe("a plan of the dev stack", () => {
  let dir: string;
  let run: Awaited<ReturnType<typeof planHere>>;
  beforeAll(async () => {
    dir = tmp();
    run = await planHere(["--json", path.join(dir, "plan.json"), "--out", path.join(dir, "manifests")]);
  });

  test("prints the cluster, pools, operator, teams, and each RayCluster's endpoints and groups", () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("GKE cluster ray-dev in us-central1 (zones a,c,f), release channel REGULAR");
    expect(run.stdout).toMatch(
      /t4 +t4-[0-9a-f]{6} +n1-standard-16 +1x nvidia-tesla-t4 +0-16 +no +a,c,f +DEFAULT/,
    );
    expect(run.stdout).toContain("KubeRay operator 1.7.0 in namespace kuberay-system, 4 CRDs");
    expect(run.stdout).toContain(
      "quota: cpu 200, memory 800Gi, GPUs t4=8 a100=0, RayClusters 4, storage 500Gi",
    );
    expect(run.stdout).toContain(
      "queue: ClusterQueue recsys (cohort ray-platform, LocalQueue default): nominal cpu 200, memory 800Gi, a100 0, t4 8; may borrow cpu 64, memory 256Gi, a100 0, t4 4; lends all idle quota; weight 1",
    );
    expect(run.stdout).toContain("lends at most a100 2; weight 1");
    expect(run.stdout).toContain(
      "Kueue 0.19.2 in namespace kueue-system, 11 CRDs (server-side apply, retained on delete); flavors cpu, t4 (nvidia-tesla-t4), a100 (nvidia-tesla-a100)",
    );
    expect(run.stdout).toContain(
      "      client    ray://two-tower-head-svc.recsys.svc:10001\n      dashboard http://two-tower-head-svc.recsys.svc:8265\n      notebook  http://two-tower-tools.recsys.svc:8081",
    );
    expect(run.stdout).toContain(
      "        t4\n          replicas 0 (autoscaled to 4)\n          CPUs 14\n          GPUs 1\n          GPU type t4\n          memory 51Gi",
    );
    expect(run.stdout).toMatch(/ +13 +kubernetes:networking.k8s.io\/v1:NetworkPolicy/);
    expect(run.stdout).toContain(
      "    objects: services 30, pods 300, secrets 30, configmaps 50, PVCs 20, ephemeral storage 500Gi",
    );
    expect(run.stdout).toContain(
      "Services: team quotas allow 100 in total, of 4096 addresses in the Service range 10.20.0.0/20 (256 kept for the system; 3740 to spare)",
    );
    expect(run.stderr).toMatch(/planned \d+ resources in [\d.]+s/);
  });

  test("--json writes every resource as { type, name, parent, inputs } in a stable order, secrets masked", () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8"));
    const urns = json.resources.map((r: any) => r.urn);
    expect(urns).toEqual([...urns].sort());
    const pool = json.resources.find(
      (r: any) => r.name === "gke-t4" && r.type === "gcp:container/nodePool:NodePool",
    );
    expect(pool.inputs.name).toMatch(/^t4-[0-9a-f]{6}$/);
    expect(pool.parent).toMatch(/ray-platform:gke:NodePool::gke-t4$/);
    expect(pool.inputs.nodeConfig.machineType).toBe("n1-standard-16");
    expect(json.resources.find((r: any) => r.type === "pulumi:providers:kubernetes").inputs.kubeconfig).toBe(
      "[secret]",
    );
    expect(json.outputs.kubeconfig).toBe("[secret]");
    // The view the summary prints, from the validated configuration: the team files' teams and the stack's pools.
    expect(json.view.teams.map((t: any) => t.name)).toEqual(
      fs
        .readdirSync(path.join(PROJECT_DIR, "teams"))
        .map((f) => f.replace(/\.yaml$/, ""))
        .sort(),
    );
    expect(json.view.pools.find((p: any) => p.name === "t4")).toMatchObject({
      gkeName: pool.inputs.name,
      machineType: "n1-standard-16",
      gpu: { type: "nvidia-tesla-t4", count: 1 },
    });
  });

  test("--out writes manifests per namespace that pass Kubernetes' and the CRDs' schemas, the Helm values apart, the tokens left out", () => {
    const files = fs
      .readdirSync(path.join(dir, "manifests"))
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    // ns-kuberay-system.yaml: the operator's PodMonitoring.
    expect(files).toEqual([
      "00-crds.yaml",
      "01-cluster.yaml",
      "ns-kuberay-system.yaml",
      "ns-ray-playground.yaml",
      "ns-recsys.yaml",
      "ns-tech-research.yaml",
    ]);
    expect(fs.readdirSync(path.join(dir, "manifests", "helm")).sort()).toEqual([
      "kuberay-operator.values.yaml",
      "kueue.values.yaml",
    ]);
    // No token Secret: each cluster's token is made by pulumi up; SECRETS.txt says how to make them otherwise.
    const secrets = fs.readFileSync(path.join(dir, "manifests", "SECRETS.txt"), "utf8");
    for (const s of [
      "recsys/two-tower-token",
      "tech-research/gnn-token",
      "ray-playground/my-cluster-token",
    ]) {
      const [ns, name] = s.split("/");
      expect(secrets).toContain(
        `kubectl create secret generic ${name} -n ${ns} --from-literal=auth_token=$(openssl rand -hex 24)`,
      );
    }
    const read = (f: string) =>
      parseAllDocuments(fs.readFileSync(path.join(dir, "manifests", f), "utf8")).map((d) => d.toJS());
    const validator = new ManifestValidator([...read("00-crds.yaml"), ...gkeCrds()]);
    let count = 0;
    for (const f of files) {
      for (const obj of read(f)) {
        count++;
        expect(
          obj.kind === "Secret" && obj.metadata.name.endsWith("-token"),
          `${f} ${obj.metadata.name}`,
        ).toBe(false);
        expect(validator.problems(obj), `${f} ${obj.kind} ${obj.metadata.name}`).toEqual([]);
        if (f.startsWith("ns-")) expect(obj.metadata.namespace).toBe(f.slice(3, -5));
      }
    }
    const planned = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")).resources.filter(
      (r: any) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"),
    );
    expect(count).toBe(planned.length - 3);
    expect(read("ns-recsys.yaml").map((o: any) => o.kind)).toContain("RayCluster");
    expect(
      fs.readFileSync(path.join(dir, "manifests", "helm", "kuberay-operator.values.yaml"), "utf8"),
    ).toContain("--version 1.7.0 --namespace kuberay-system --skip-crds");
    expect(fs.readFileSync(path.join(dir, "manifests", "helm", "kueue.values.yaml"), "utf8")).toContain(
      "helm upgrade --install kueue oci://registry.k8s.io/kueue/charts/kueue --version 0.19.2 --namespace kueue-system --skip-crds --post-renderer ./scripts/helm-drop-crds.mjs",
    );
  });
});

describe("exit codes", () => {
  test("1 for an invalid configuration, with the file:line errors", () => {
    const dir = tmp();
    projectWithFixtureStack(dir);
    fs.writeFileSync(
      path.join(dir, "teams/recsys.yaml"),
      fs.readFileSync(path.join(dir, "teams/recsys.yaml"), "utf8").replace("cpu: 200", "cpu: two hundred"),
    );
    const r = plan([], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'teams/recsys.yaml:11:8 quota.cpu: "two hundred" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
    );
  });

  test("2 for usage errors: an unknown flag, a stack without a file, a revision that does not exist", async () => {
    expect(plan(["--stak", "dev"]).code).toBe(2);
    const noStack = await planHere(["--stack", "prod"]);
    expect([noStack.code, noStack.stderr]).toEqual([
      2,
      expect.stringContaining("no stack file Pulumi.prod.yaml; stacks here: dev, kind, real."),
    ]);
    const noRef = await planHere(["--diff", "no-such-branch", "--quiet"]);
    expect([noRef.code, noRef.stderr]).toEqual([
      2,
      expect.stringContaining("--diff no-such-branch: no such git revision here"),
    ]);
  });
});

test("what the program logs (pulumi.log) never reaches stdout: a note is said once, on stderr, and --quiet leaves stdout empty", () => {
  // The kind stack has a note (no playground team file), which the program also logs for a real engine.
  const NOTE = "no ray-playground team file: there is no shared playground namespace.";
  const dir = tmp();
  const r = plan(["--stack", "kind", "--json", path.join(dir, "plan.json")]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain("ray-platform plan: stack kind, mode existing");
  expect(r.stdout).not.toContain(NOTE);
  expect(r.stderr.split(NOTE).length - 1).toBe(1);
  const quiet = plan(["--stack", "kind", "--quiet", "--json", path.join(dir, "plan.json")]);
  expect([quiet.code, quiet.stdout, quiet.stderr]).toEqual([0, "", ""]);
});

/** A throwaway repository with the project committed as `main`, to be changed the way a pull request would. */
function scratchRepo() {
  const repo = tmp();
  projectWithFixtureStack(repo);
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a], {
      encoding: "utf8",
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "base");
  const edit = (f: string, from: string, to: string) => {
    const text = fs.readFileSync(path.join(repo, f), "utf8");
    if (!text.includes(from)) throw new Error(`${f} has no ${from}`);
    fs.writeFileSync(path.join(repo, f), text.replace(from, to));
  };
  return { repo, git, edit };
}

describe("--diff on a pull request that edits the example teams", () => {
  let repo: string;
  let run: Awaited<ReturnType<typeof planHere>>;
  beforeAll(async () => {
    const s = scratchRepo();
    repo = s.repo;
    s.edit("teams/recsys.yaml", "  cpu: 200", "  cpu: 240");
    s.edit(
      "teams/recsys.yaml",
      "  - user:alice@example.com",
      "  - user:alice@example.com\n  - user:bob@example.com",
    );
    s.edit("teams/recsys.yaml", "maxReplicas: 4\n", "maxReplicas: 6\n");
    fs.rmSync(path.join(repo, "teams/tech-research.yaml"));
    run = await planHere(["--diff", "main", "--report", path.join(repo, "report.md"), "--quiet"], repo);
  });

  test("prints only the changes, each field old → new, with what a removed team keeps and loses", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toContain("Node pools");
    expect(run.stdout.split("\n").slice(0, 8)).toEqual([
      "Changes against main: 0 to add, 6 to change, 23 to remove",
      "",
      "DANGEROUS",
      "  ! team tech-research is REMOVED: its members lose access and its RayClusters are DELETED (gnn; running jobs stop); its namespace and bucket are retained, no longer managed",
      "",
      "Team tech-research removed",
      "  retained (kept in the cluster or GCP, no longer managed: retainOnDelete): ClusterQueue tech-research, LocalQueue tech-research/default, Bucket my-ml-platform-dev-ray-tech-research, LimitRange tech-research/defaults, Namespace tech-research, ResourceQuota tech-research/team-quota, ResourceQuota tech-research/gpu-a100, ResourceQuota tech-research/gpu-t4, NetworkPolicy tech-research/default-deny-ingress",
      "  deleted: ConfigMap tech-research/gnn-tutorials, Secret tech-research/gnn-token, Service tech-research/gnn-tools, RayCluster tech-research/gnn, BucketIAMMember tech-research-bucket-ray-pods, ConfigMap tech-research/ray-platform-team, ServiceAccount tech-research/ray, NetworkPolicy tech-research/allow-metrics-scrape, NetworkPolicy tech-research/allow-operator-to-ray-heads, NetworkPolicy tech-research/allow-same-namespace, RoleBinding kuberay-system/team-tech-research, RoleBinding tech-research/owners, RoleBinding ray-playground/team-tech-research, RoleBinding tech-research/ray-users",
    ]);
    expect(run.stdout).toContain(
      [
        "  ~ kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue recsys-queue-clusterqueue",
        "      spec.resourceGroups[0].flavors[cpu].resources[cpu].nominalQuota: 200 \u2192 240",
        "  ~ kubernetes:ray.io/v1:RayCluster recsys/two-tower-raycluster",
        "      spec.workerGroupSpecs[t4].maxReplicas: 4 \u2192 6",
        "  ~ kubernetes:core/v1:ResourceQuota recsys-quota",
        "      spec.hard.requests.cpu: 264 \u2192 304",
        "  ~ kubernetes:rbac.authorization.k8s.io/v1:RoleBinding recsys-facts-reader",
        "      subjects[bob@example.com]: added User bob@example.com",
      ].join("\n"),
    );
    expect(run.stdout).toContain(
      "  - kubernetes:core/v1:Namespace tech-research-namespace (retained, no longer managed)\n",
    );
    expect(run.stdout).not.toContain("is DELETED (everything in it goes)");
  });

  test("writes the whole Markdown report: only changed teams, RayCluster changes under their team", () => {
    expect(fs.readFileSync(path.join(repo, "report.md"), "utf8")).toBe(
      "<!-- ray-platform-plan -->\n" +
        "## ray-platform plan: stack `dev` against `main`\n" +
        "\n" +
        "_Offline plan, computed without credentials by the code under review: advisory. The preview and the reviewed deploy are authoritative._\n" +
        "\n" +
        "> [!WARNING]\n" +
        "> **Dangerous changes**: review these before merging.\n" +
        "> - team tech-research is REMOVED: its members lose access and its RayClusters are DELETED (gnn; running jobs stop); its namespace and bucket are retained, no longer managed\n" +
        "\n" +
        "**0 to add, 6 to change, 23 to remove.**\n" +
        "\n" +
        "### Teams\n" +
        "\n" +
        "| team | change | CPU quota | memory quota | GPU quota | queue | members | RayClusters |\n" +
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n" +
        "| recsys | changed | 200 \u2192 **240** | 800Gi | 8 t4 | borrow cpu 64, memory 256Gi, t4 4; lend all idle; weight 1 | 3 \u2192 **4** (+user:bob@example.com) | two-tower (workerGroupSpecs[t4].maxReplicas: 4 \u2192 **6**) |\n" +
        "| tech-research | removed | 128 \u2192 **-** | 1Ti \u2192 **-** | 4 a100, 2 t4 \u2192 **-** | borrow none; lend at most a100 2; weight 1 \u2192 **-** | 3 \u2192 **-** (-user:maria@example.com (owner), -user:olga@example.com, -user:sara@example.com) | gnn \u2192 **-** |\n" +
        "\n" +
        "### Team tech-research removed\n" +
        "\n" +
        "- **Retained** (kept in the cluster or GCP, no longer managed by Pulumi: `retainOnDelete`): `ClusterQueue tech-research`, `LocalQueue tech-research/default`, `Bucket my-ml-platform-dev-ray-tech-research`, `LimitRange tech-research/defaults`, `Namespace tech-research`, `ResourceQuota tech-research/team-quota`, `ResourceQuota tech-research/gpu-a100`, `ResourceQuota tech-research/gpu-t4`, `NetworkPolicy tech-research/default-deny-ingress`\n" +
        "- **Deleted**: `ConfigMap tech-research/gnn-tutorials`, `Secret tech-research/gnn-token`, `Service tech-research/gnn-tools`, `RayCluster tech-research/gnn`, `BucketIAMMember tech-research-bucket-ray-pods`, `ConfigMap tech-research/ray-platform-team`, `ServiceAccount tech-research/ray`, `NetworkPolicy tech-research/allow-metrics-scrape`, `NetworkPolicy tech-research/allow-operator-to-ray-heads`, `NetworkPolicy tech-research/allow-same-namespace`, `RoleBinding kuberay-system/team-tech-research`, `RoleBinding tech-research/owners`, `RoleBinding ray-playground/team-tech-research`, `RoleBinding tech-research/ray-users`\n" +
        "\n" +
        "### Cost\n" +
        "\n" +
        "- recsys: ceiling +$1,134/month ($13,856 \u2192 $14,990), quota.cpu 200 \u2192 240\n" +
        "- recsys/two-tower: maximum +$2.22/hour ($11.43 \u2192 $13.65)\n" +
        "- tech-research: ceiling -$21,422/month ($21,422 \u2192 $0), quota.cpu 128 \u2192 0, quota.memory 1Ti \u2192 0, quota.gpus.a100 4 \u2192 0, quota.gpus.t4 2 \u2192 0\n" +
        "- tech-research/gnn: maximum -$15.47/hour ($15.47 \u2192 $0.00)\n" +
        "- stack at maximum scale: $51,799/month (+$0)\n" +
        "\n" +
        "_List prices of 2026-11-29 (data/gke-prices.yaml); ceilings assume every quota is used on the dearest pool that can hold it._\n" +
        "\n" +
        "### What is affected\n" +
        "\n" +
        "```mermaid\n" +
        "flowchart LR\n" +
        '  platform["ray-platform"]\n' +
        '  platform --> team_recsys["team recsys (~)"]:::changed\n' +
        '  platform --> team_tech_research["team tech-research (-)"]:::removed\n' +
        '  team_recsys --> rc_recsys_two_tower["RayCluster two-tower (~)"]:::changed\n' +
        '  team_tech_research --> rc_tech_research_gnn["RayCluster gnn (-)"]:::removed\n' +
        "  classDef added fill:#d4f8d4,stroke:#2a2\n" +
        "  classDef changed fill:#fff3c4,stroke:#c90\n" +
        "  classDef removed fill:#fdd,stroke:#c22\n" +
        "```\n" +
        "\n" +
        "<details><summary>Every change</summary>\n" +
        "\n" +
        "| | resource | type | fields |\n" +
        "| --- | --- | --- | --- |\n" +
        "| - | `ClusterQueue tech-research` | `kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue` | retained, no longer managed |\n" +
        "| - | `LocalQueue tech-research/default` | `kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue` | retained, no longer managed |\n" +
        "| - | `ConfigMap tech-research/gnn-tutorials` | `kubernetes:core/v1:ConfigMap` |  |\n" +
        "| - | `Secret tech-research/gnn-token` | `kubernetes:core/v1:Secret` |  |\n" +
        "| - | `Service tech-research/gnn-tools` | `kubernetes:core/v1:Service` |  |\n" +
        "| - | `RayCluster tech-research/gnn` | `kubernetes:ray.io/v1:RayCluster` |  |\n" +
        "| - | `Bucket my-ml-platform-dev-ray-tech-research` | `gcp:storage/bucket:Bucket` | retained, no longer managed |\n" +
        "| - | `BucketIAMMember tech-research-bucket-ray-pods` | `gcp:storage/bucketIAMMember:BucketIAMMember` |  |\n" +
        "| - | `ConfigMap tech-research/ray-platform-team` | `kubernetes:core/v1:ConfigMap` |  |\n" +
        "| - | `LimitRange tech-research/defaults` | `kubernetes:core/v1:LimitRange` | retained, no longer managed |\n" +
        "| - | `Namespace tech-research` | `kubernetes:core/v1:Namespace` | retained, no longer managed |\n" +
        "| - | `ResourceQuota tech-research/team-quota` | `kubernetes:core/v1:ResourceQuota` | retained, no longer managed |\n" +
        "| - | `ResourceQuota tech-research/gpu-a100` | `kubernetes:core/v1:ResourceQuota` | retained, no longer managed |\n" +
        "| - | `ResourceQuota tech-research/gpu-t4` | `kubernetes:core/v1:ResourceQuota` | retained, no longer managed |\n" +
        "| - | `ServiceAccount tech-research/ray` | `kubernetes:core/v1:ServiceAccount` |  |\n" +
        "| - | `NetworkPolicy tech-research/allow-metrics-scrape` | `kubernetes:networking.k8s.io/v1:NetworkPolicy` |  |\n" +
        "| - | `NetworkPolicy tech-research/allow-operator-to-ray-heads` | `kubernetes:networking.k8s.io/v1:NetworkPolicy` |  |\n" +
        "| - | `NetworkPolicy tech-research/allow-same-namespace` | `kubernetes:networking.k8s.io/v1:NetworkPolicy` |  |\n" +
        "| - | `NetworkPolicy tech-research/default-deny-ingress` | `kubernetes:networking.k8s.io/v1:NetworkPolicy` | retained, no longer managed |\n" +
        "| - | `RoleBinding kuberay-system/team-tech-research` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` |  |\n" +
        "| - | `RoleBinding tech-research/owners` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` |  |\n" +
        "| - | `RoleBinding ray-playground/team-tech-research` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` |  |\n" +
        "| - | `RoleBinding tech-research/ray-users` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` |  |\n" +
        "| ~ | `ClusterQueue recsys` | `kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue` | `spec.resourceGroups[0].flavors[cpu].resources[cpu].nominalQuota: 200 \u2192 240` |\n" +
        "| ~ | `RayCluster recsys/two-tower` | `kubernetes:ray.io/v1:RayCluster` | `spec.workerGroupSpecs[t4].maxReplicas: 4 \u2192 6` |\n" +
        "| ~ | `ResourceQuota recsys/team-quota` | `kubernetes:core/v1:ResourceQuota` | `spec.hard.requests.cpu: 264 \u2192 304` |\n" +
        "| ~ | `RoleBinding kuberay-system/team-recsys` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` | `subjects[bob@example.com]: added User bob@example.com` |\n" +
        "| ~ | `RoleBinding ray-playground/team-recsys` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` | `subjects[bob@example.com]: added User bob@example.com` |\n" +
        "| ~ | `RoleBinding recsys/ray-users` | `kubernetes:rbac.authorization.k8s.io/v1:RoleBinding` | `subjects[bob@example.com]: added User bob@example.com` |\n" +
        "\n" +
        "</details>\n" +
        "\n" +
        "\n" +
        "### Retained objects\n" +
        "\n" +
        "- team tech-research removed: namespace tech-research, ClusterQueue, LimitRange, LocalQueue, NetworkPolicy, ResourceQuota \u00d73, bucket gs://my-ml-platform-dev-ray-tech-research stay, no longer managed; restoring its team file adopts them.\n",
    );
  });

  test("--full adds the whole plan after the changes; without --quiet, progress goes to stderr", async () => {
    const r = await planHere(["--diff", "main", "--full"], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.indexOf("Changes against main")).toBe(0);
    expect(r.stdout).toContain("\nray-platform plan: stack dev, mode gke");
    expect(r.stderr).toMatch(/planning main \([0-9a-f]{12}\) in parallel to compare/);
  });
});

/** Runs `fn` with a cache directory of its own: what it caches (or breaks) is not other tests' base plans. */
async function withOwnCache(fn: () => Promise<void>): Promise<void> {
  const previous = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = tmp();
  try {
    await fn();
  } finally {
    process.env.XDG_CACHE_HOME = previous;
  }
}

test("--fresh-base plans the base whatever is cached and keeps its plan; the next --diff reads it, with the same result", async () => {
  const { repo, edit } = scratchRepo();
  edit("teams/recsys.yaml", "  cpu: 200", "  cpu: 240");
  await withOwnCache(async () => {
    const cacheDir = baseCacheDir();
    const entry = baseCacheFile(repo, "main", "", "dev");
    fs.mkdirSync(cacheDir, { recursive: true });
    // A stale plan with nothing in it, where this base's goes: read, it would make everything new.
    fs.writeFileSync(entry, zlib.gzipSync(JSON.stringify({ resources: [] })));
    // Eight older entries: the cache keeps eight, so the oldest goes when this base's is written.
    for (let i = 0; i < 8; i++) {
      const f = path.join(cacheDir, `old-${i}.json.gz`);
      fs.writeFileSync(f, "");
      fs.utimesSync(f, 1000 + i, 1000 + i);
    }
    const planned = await planHere(["--diff", "main", "--fresh-base"], repo);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toContain("] main planned\n");
    expect(planned.stdout).toContain("spec.hard.requests.cpu: 264 → 304");
    expect(planned.stdout).not.toContain("added");
    expect(fs.readdirSync(cacheDir).sort()).toEqual(
      [path.basename(entry), ...Array.from({ length: 7 }, (_, i) => `old-${i + 1}.json.gz`)].sort(),
    );

    const cached = await planHere(["--diff", "main"], repo);
    expect(cached.stderr).toContain("] main's plan read from the cache\n");
    expect([cached.code, cached.stdout]).toEqual([0, planned.stdout]);
  });
});

test("a base's cache entry is named by its files, this checkout's lockfile and the stack; a broken one is not read", async () => {
  const { repo, git, edit } = scratchRepo();
  const key = () => baseCacheFile(repo, "main", "", "dev");
  const first = key();
  // Another commit with the same files: the same plan.
  git("commit", "-q", "--allow-empty", "-m", "nothing changed");
  expect(key()).toBe(first);
  expect(baseCacheFile(repo, "main", "", "kind")).not.toBe(first);
  // The base runs on this checkout's node_modules: another lockfile is another plan.
  edit("package-lock.json", "{", "{ ");
  expect(key()).not.toBe(first);
  edit("package-lock.json", "{ ", "{");
  edit("teams/recsys.yaml", "  cpu: 200", "  cpu: 240");
  git("commit", "-qam", "a change");
  expect(key()).not.toBe(first);
  // A broken entry (a disk that filled up) is as good as none: the base is planned again.
  await withOwnCache(async () => {
    const file = baseCacheFile(repo, "main", "", "dev");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "not gzip");
    expect(await readCachedPlan(file)).toBeUndefined();
    fs.writeFileSync(file, zlib.gzipSync("{ not json"));
    expect(await readCachedPlan(file)).toBeUndefined();
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ resources: [] })));
    expect(await readCachedPlan(file)).toEqual({ resources: [], view: undefined, cached: true });
  });
});

test("--diff against a node pool change marks the replacement as dangerous", async () => {
  const { repo, edit } = scratchRepo();
  edit("Pulumi.dev.yaml", "machineType: a2-highgpu-1g", "machineType: a2-highgpu-2g");
  // Workers take a whole node's GPUs: two a100 each now, so half as many fit the quota.
  edit("teams/tech-research.yaml", "maxReplicas: 4", "maxReplicas: 2");
  let r: Awaited<ReturnType<typeof planHere>> | undefined;
  // And a cache that cannot be written (a file where its directory goes) changes nothing.
  await withOwnCache(async () => {
    fs.writeFileSync(path.dirname(baseCacheDir()), "");
    r = await planHere(["--diff", "main", "--quiet"], repo);
  });
  r = defined(r, "the plan's result");
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(
    /DANGEROUS\n {2}! node pool a100 is REPLACED: a100-[0-9a-f]{6} comes up, then a100-[0-9a-f]{6} is drained and deleted \(nodeConfig.guestAccelerators\[0\].count, nodeConfig.machineType cannot change in place\)/,
  );
  expect(r.stdout).toContain("      nodeConfig.machineType: a2-highgpu-1g → a2-highgpu-2g");
  expect(r.stdout).toContain("spec.workerGroupSpecs[a100].maxReplicas: 4 → 2");
  expect(r.stdout).not.toMatch(/ResourceQuota|RoleBinding/);
});

test("a base revision that does not evaluate exits 4 with its errors, not a stack trace", async () => {
  const { repo, git, edit } = scratchRepo();
  edit("teams/recsys.yaml", "  cpu: 200", "  cpu: two hundred");
  git("commit", "-qam", "broken");
  edit("teams/recsys.yaml", "  cpu: two hundred", "  cpu: 200");
  const r = await planHere(["--diff", "main", "--quiet"], repo);
  expect(r.code).toBe(4);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(
    /^--diff main: the base revision [0-9a-f]{12} does not evaluate: its configuration is invalid, so there is nothing to compare with.\nray-platform: the configuration has 1 problem; nothing was changed.\nteams\/recsys.yaml:11:8 quota.cpu: "two hundred" is not a valid CPU quantity/,
  );
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test("a base revision from before the configuration view is compared by its resources, with a note and no team table", async () => {
  const { repo, git, edit } = scratchRepo();
  // What an older revision looks like to the plan: its own plan CLI writes no view in its plan JSON.
  const VIEW = "{ outputs: ev.outputs, view, resources: [] }";
  const NO_VIEW = "{ outputs: ev.outputs, resources: [] }";
  edit("plan/planJson.ts", VIEW, NO_VIEW);
  git("commit", "-qam", "before the view");
  edit("plan/planJson.ts", NO_VIEW, VIEW);
  edit("teams/recsys.yaml", "  cpu: 200", "  cpu: 240");
  const r = await planHere(["--diff", "main", "--report", path.join(repo, "report.md")], repo);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain("spec.hard.requests.cpu: 264 → 304");
  expect(r.stderr).toContain(
    "main predates the configuration view in its plan: the report compares its resources only (no team table or costs)",
  );
  const report = fs.readFileSync(path.join(repo, "report.md"), "utf8");
  expect(report).toContain(
    "_`main` predates the configuration view in the plan (plan/model.ts), so its teams and costs are not compared: no team table or cost section. Every resource change is listed below._",
  );
  expect(report).not.toMatch(/### Teams|### Cost/);
  expect(report).toContain("`ResourceQuota recsys/team-quota`");
});

test("--help prints the usage on stdout and exits 0", () => {
  const r = plan(["--help"]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout).toMatch(/^usage: npm run plan -- /);
  expect(r.stdout).toContain("4 the --diff base revision does not evaluate");
});

test("the team table's queue column shows borrowing, lending and weight, old → new", () => {
  const queue = TEAM_COLUMNS.find((c) => c.title === "queue")!;
  const team = (borrowing: Record<string, string>, lending: Record<string, string>, weight?: string) =>
    ({
      queue: { clusterQueue: "recsys", localQueues: ["default"], nominal: {}, borrowing, lending, weight },
    }) as unknown as TeamView;
  expect(queue.cell(team({ cpu: "64", t4: "0" }, {}), team({ cpu: "64", t4: "4" }, {}), [])).toBe(
    "borrow cpu 64; lend all idle; weight 1 → **borrow cpu 64, t4 4; lend all idle; weight 1**",
  );
  expect(queue.cell(team({}, { a100: "2" }, "2"), team({}, { a100: "2" }, "2"), [])).toBe(
    "borrow none; lend at most a100 2; weight 2",
  );
});
