/** `npm run plan`: the offline plan's outputs (--json, --out, --diff/--report) and exit codes. */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { ManifestValidator, gkeCrds } from "../plan/schemas";
import { PROJECT_DIR } from "./mocks";

/** Run the plan CLI as `npm run plan` does, in its own process. */
function plan(args: string[], projectDir = PROJECT_DIR) {
  const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(PROJECT_DIR, "plan/cli.ts"), "--project-dir", projectDir, ...args], { encoding: "utf8", cwd: projectDir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-plan-"));

describe("a plan of the dev stack", () => {
  let dir: string;
  let run: ReturnType<typeof plan>;
  beforeAll(() => {
    dir = tmp();
    run = plan(["--json", path.join(dir, "plan.json"), "--out", path.join(dir, "manifests")]);
  });

  test("prints the cluster, pools, operator, teams and RayClusters as sp-ray describe would", () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("GKE cluster ray-dev in us-central1 (zones a,c,f), release channel REGULAR");
    expect(run.stdout).toMatch(/t4 +t4-[0-9a-f]{6} +n1-standard-16 +1x nvidia-tesla-t4 +0-16 +no +a,c,f +DEFAULT/);
    expect(run.stdout).toContain("KubeRay operator 1.7.0 in namespace kuberay-system, 4 CRDs");
    expect(run.stdout).toContain("quota: cpu 200, memory 800Gi, GPUs t4=8 a100=0, RayClusters 4, storage 500Gi");
    expect(run.stdout).toContain(
      "queue: ClusterQueue recsys (cohort ray-platform, LocalQueue default): nominal cpu 200, memory 800Gi, a100 0, t4 8; may borrow cpu 64, memory 256Gi, a100 0, t4 4; lends all idle quota; weight 1",
    );
    expect(run.stdout).toContain("lends at most a100 2; weight 1");
    expect(run.stdout).toContain("Kueue 0.19.2 in namespace kueue-system, 11 CRDs (server-side apply, retained on delete); flavors cpu, t4 (nvidia-tesla-t4), a100 (nvidia-tesla-a100)");
    expect(run.stdout).toContain("      client    ray://two-tower-head-svc.recsys.svc:10001\n      dashboard http://two-tower-head-svc.recsys.svc:8265\n      notebook  http://two-tower-tools.recsys.svc:8081");
    expect(run.stdout).toContain("        t4\n          replicas 0 (autoscaled to 4)\n          CPUs 14\n          GPUs 1\n          GPU type t4\n          memory 51Gi");
    expect(run.stdout).toMatch(/ +13 +kubernetes:networking.k8s.io\/v1:NetworkPolicy/);
    expect(run.stdout).toContain("    objects: services 30, pods 300, secrets 30, configmaps 50, PVCs 20, ephemeral storage 500Gi");
    expect(run.stdout).toContain("Services: team quotas allow 100 in total, of 4096 addresses in the Service range 10.20.0.0/20 (256 kept for the system; 3740 to spare)");
    expect(run.stderr).toMatch(/planned \d+ resources in [\d.]+s/);
  });

  test("--json writes every resource as { type, name, parent, inputs } in a stable order, secrets masked", () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8"));
    const urns = json.resources.map((r: any) => r.urn);
    expect(urns).toEqual([...urns].sort());
    const pool = json.resources.find((r: any) => r.name === "gke-t4" && r.type === "gcp:container/nodePool:NodePool");
    expect(pool.inputs.name).toMatch(/^t4-[0-9a-f]{6}$/);
    expect(pool.parent).toMatch(/ray-platform:gke:NodePool::gke-t4$/);
    expect(pool.inputs.nodeConfig.machineType).toBe("n1-standard-16");
    expect(json.resources.find((r: any) => r.type === "pulumi:providers:kubernetes").inputs.kubeconfig).toBe("[secret]");
    expect(json.outputs.kubeconfig).toBe("[secret]");
  });

  test("--out writes manifests per namespace that pass Kubernetes' and the CRDs' schemas", () => {
    const files = fs.readdirSync(path.join(dir, "manifests")).sort();
    // ns-kuberay-system.yaml: the operator's PodMonitoring.
    expect(files).toEqual(["00-crds.yaml", "01-cluster.yaml", "helm-kuberay-operator.yaml", "helm-kueue.yaml", "ns-kuberay-system.yaml", "ns-ray-playground.yaml", "ns-recsys.yaml", "ns-tech-research.yaml"]);
    const read = (f: string) => parseAllDocuments(fs.readFileSync(path.join(dir, "manifests", f), "utf8")).map((d) => d.toJS());
    const validator = new ManifestValidator([...read("00-crds.yaml"), ...gkeCrds()]);
    let count = 0;
    for (const f of files.filter((f) => !f.startsWith("helm-"))) {
      for (const obj of read(f)) {
        count++;
        expect(validator.problems(obj), `${f} ${obj.kind} ${obj.metadata.name}`).toEqual([]);
        if (f.startsWith("ns-")) expect(obj.metadata.namespace).toBe(f.slice(3, -5));
      }
    }
    const planned = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")).resources.filter((r: any) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"));
    expect(count).toBe(planned.length);
    expect(read("ns-recsys.yaml").map((o: any) => o.kind)).toContain("RayCluster");
    expect(fs.readFileSync(path.join(dir, "manifests", "helm-kuberay-operator.yaml"), "utf8")).toContain("--version 1.7.0 --namespace kuberay-system --skip-crds");
    expect(fs.readFileSync(path.join(dir, "manifests", "helm-kueue.yaml"), "utf8")).toContain(
      "helm upgrade --install kueue oci://registry.k8s.io/kueue/charts/kueue --version 0.19.2 --namespace kueue-system --skip-crds --post-renderer ./scripts/helm-drop-crds.mjs",
    );
  });
});

describe("exit codes", () => {
  test("1 for an invalid configuration, with the file:line errors", () => {
    const dir = tmp();
    fs.cpSync(PROJECT_DIR, dir, { recursive: true, filter: (src) => !src.includes("node_modules") && !src.includes(".git") });
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "teams/recsys.yaml"), fs.readFileSync(path.join(dir, "teams/recsys.yaml"), "utf8").replace("cpu: 200", "cpu: two hundred"));
    const r = plan([], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('teams/recsys.yaml:11:8 quota.cpu: "two hundred" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.');
  });

  test("2 for usage errors: an unknown flag, a stack without a file, a revision that does not exist", () => {
    expect(plan(["--stak", "dev"]).code).toBe(2);
    const noStack = plan(["--stack", "prod"]);
    expect([noStack.code, noStack.stderr]).toEqual([2, expect.stringContaining("no stack file Pulumi.prod.yaml; stacks here: dev, kind.")]);
    const noRef = plan(["--diff", "no-such-branch", "--quiet"]);
    expect([noRef.code, noRef.stderr]).toEqual([2, expect.stringContaining("--diff no-such-branch: no such git revision here")]);
  });
});

test("--diff reports what a change to team files and pools does, dangerous changes first", () => {
  // A throwaway repository with the project committed, then changed the way a pull request would.
  const repo = tmp();
  fs.cpSync(PROJECT_DIR, repo, { recursive: true, filter: (src) => !/node_modules|\.git$|\/\.git\//.test(src) });
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(repo, "node_modules"));
  const git = (...a: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a], { encoding: "utf8" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "base");
  const edit = (f: string, from: string, to: string) => fs.writeFileSync(path.join(repo, f), fs.readFileSync(path.join(repo, f), "utf8").replace(from, to));
  edit("teams/recsys.yaml", "  cpu: 200", "  cpu: 240");
  edit("teams/recsys.yaml", "  - user:alice@example.com", "  - user:alice@example.com\n  - user:bob@example.com");
  edit("Pulumi.dev.yaml", "machineType: a2-highgpu-1g", "machineType: a2-highgpu-2g");
  fs.rmSync(path.join(repo, "teams/tech-research.yaml"));

  const r = plan(["--diff", "main", "--report", path.join(repo, "report.md")], repo);
  expect(r.code, r.stderr).toBe(0);
  // tech-research's clusters used the a100 pool; with it gone, only the pool's replacement is left of a100.
  expect(r.stdout).toMatch(/DANGEROUS\n {2}! node pool a100 is REPLACED: a100-[0-9a-f]{6} comes up, then a100-[0-9a-f]{6} is drained and deleted \(nodeConfig.guestAccelerators\[0\].count, nodeConfig.machineType cannot change in place\)/);
  expect(r.stdout).toContain("  ! namespace tech-research is DELETED");
  expect(r.stdout).toContain("  ! bucket my-ml-platform-dev-ray-tech-research is DELETED");
  expect(r.stdout).toContain("  ~ kubernetes:core/v1:ResourceQuota recsys-quota: spec.hard.requests.cpu");
  expect(r.stdout).toContain("  ~ kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue recsys-queue-clusterqueue: spec.resourceGroups[0].flavors[0].resources[0].nominalQuota");
  expect(r.stdout).toContain("  ~ kubernetes:rbac.authorization.k8s.io/v1:RoleBinding recsys-ray-users: subjects[3]");

  const report = fs.readFileSync(path.join(repo, "report.md"), "utf8");
  expect(report).toContain("<!-- ray-platform-plan -->");
  expect(report.indexOf("**Dangerous changes**")).toBeLessThan(report.indexOf("### Teams"));
  expect(report).toContain("| recsys | changed | 200 → **240** | 800Gi | 8 t4 | 3 → **4** | two-tower |");
  expect(report).toContain("| tech-research | removed | 128 → **-** | 1Ti → **-** | 4 a100, 2 t4 → **-** | 3 → **-** | gnn → **-** |");
  expect(report).toContain('platform --> pool_a100["pool a100 (~)"]:::changed');
  expect(report).toContain('platform --> team_tech_research["team tech-research (-)"]:::removed');
});
