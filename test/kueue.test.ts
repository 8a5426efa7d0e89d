/** Kueue: the release and its pinned CRDs, flavors, each team's queues, queued RayClusters. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { GPU_TAINT } from "../config/wire";
import { parseQuantity } from "../config/quantity";
import { clusterDemand } from "../config/rayClusters";
import { ManifestValidator } from "./schemas";
import {
  configProblems,
  k8sObject,
  loadConfig,
  ofType,
  one,
  PROJECT_DIR,
  type RegisteredResource,
  runProgram,
  teamsDir,
  sharedStack,
  clusterRoleVerbs,
} from "./mocks";
import { defined } from "./defined";

const T = {
  crd: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
  release: "kubernetes:helm.sh/v3:Release",
  flavor: "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor",
  clusterQueue: "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue",
  localQueue: "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue",
  rayCluster: "kubernetes:ray.io/v1:RayCluster",
  quota: "kubernetes:core/v1:ResourceQuota",
  pool: "gcp:container/nodePool:NodePool",
};
const TEAMS = ["ray-playground", "recsys", "tech-research"];

let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await sharedStack());
});
const kueueCrds = () => ofType(resources, T.crd).filter((c) => c.inputs.spec.group === "kueue.x-k8s.io");
const clusterQueue = (team: string) => k8sObject(resources, T.clusterQueue, undefined, team);
/** resource (cpu, memory, or the GPU flavor's name) -> field of a ClusterQueue's quotas. */
function quotas(cq: Record<string, any>, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const g of cq.spec.resourceGroups)
    for (const f of g.flavors)
      for (const r of f.resources)
        if (r[field] !== undefined) out[r.name === "nvidia.com/gpu" ? f.name : r.name] = r[field];
  return out;
}

describe("release", () => {
  test("installs the pinned Kueue chart from registry.k8s.io, its image at the same version", () => {
    const release = one(resources, T.release, "kueue-release").inputs;
    expect(release).toMatchObject({
      name: "kueue",
      chart: "oci://registry.k8s.io/kueue/charts/kueue",
      version: "0.19.2",
      namespace: "kueue-system",
      atomic: true,
    });
    expect(release.values.controllerManager.manager.image).toEqual({
      repository: "registry.k8s.io/kueue/kueue",
      tag: "v0.19.2",
      pullPolicy: "IfNotPresent",
    });
  });

  test("runs on the system pool with elastic workloads on", () => {
    const values = one(resources, T.release, "kueue-release").inputs.values;
    expect(values.controllerManager.nodeSelector).toEqual({ "ray-platform/pool": "system" });
    expect(values.controllerManager.featureGates).toEqual([
      { name: "ElasticJobsViaWorkloadSlices", enabled: true },
    ]);
  });

  test("manages Ray jobs in team namespaces, with or without a queue name, and shares fairly", () => {
    const config = parse(
      one(resources, T.release, "kueue-release").inputs.values.managerConfig.controllerManagerConfigYaml,
    );
    expect(config).toMatchObject({
      apiVersion: "config.kueue.x-k8s.io/v1beta2",
      kind: "Configuration",
      manageJobsWithoutQueueName: true,
      managedJobsNamespaceSelector: { matchExpressions: [{ key: "ray-platform/team", operator: "Exists" }] },
      integrations: { frameworks: ["ray.io/rayjob", "ray.io/raycluster", "ray.io/rayservice"] },
      webhook: { port: 9443 },
    });
    expect(config.fairSharing.preemptionStrategies.length).toBeGreaterThan(0);
    // The selector's label is on every team namespace (and the playground's), on no other.
    const namespaces = ofType(resources, "kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata);
    expect(
      namespaces
        .filter((m) => m.labels["ray-platform/team"])
        .map((m) => m.name)
        .sort(),
    ).toEqual(TEAMS);
  });

  test("every value the program sets is a value of the pinned chart, and its manager config keeps the chart's", () => {
    const chart = parse(
      fs.readFileSync(path.join(PROJECT_DIR, "data/kueue/0.19.2/chart/values.yaml"), "utf8"),
    );
    const values = one(resources, T.release, "kueue-release").inputs.values;
    const at = (p: string[]) => p.reduce((o: any, k) => o?.[k], chart);
    const isMap = (v: unknown) => !!v && typeof v === "object" && !Array.isArray(v);
    // Paths down to where the chart has a leaf or a free-form map (nodeSelector: {}).
    const leaves = (o: Record<string, any>, p: string[] = []): string[][] =>
      Object.entries(o).flatMap(([k, v]) =>
        isMap(v) && isMap(at([...p, k])) && Object.keys(at([...p, k])).length
          ? leaves(v, [...p, k])
          : [[...p, k]],
      );
    const paths = leaves(values);
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) expect(at(p), p.join(".")).not.toBeUndefined();
    // The chart's own manager settings (ports, leader election, concurrency) are kept as they are.
    const ours = parse(values.managerConfig.controllerManagerConfigYaml);
    const { integrations, ...theirs } = parse(chart.managerConfig.controllerManagerConfigYaml);
    expect(ours).toMatchObject(theirs);
    expect(integrations.frameworks).toEqual(expect.arrayContaining(ours.integrations.frameworks));
  });

  test("waits for its CRDs, the KubeRay CRDs (its RayCluster integration needs them) and the system pool", () => {
    const deps = one(resources, T.release, "kueue-release").options.dependsOn as string[];
    for (const c of ofType(resources, T.crd)) expect(deps, c.name).toContain(c.urn);
    expect(deps).toContain(one(resources, T.pool, "gke-system").urn);
  });

  test("gke mode: the control plane may reach Kueue's webhook and visibility ports on the nodes", () => {
    const fw = one(resources, "gcp:compute/firewall:Firewall", "kueue-control-plane-to-webhook").inputs;
    expect(fw).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["172.16.0.0/28"],
      allows: [{ protocol: "tcp", ports: ["9443", "8082"] }],
    });
    expect(fw.targetServiceAccounts).toEqual([
      one(resources, "gcp:serviceaccount/account:Account", "gke-nodes").inputs.accountId +
        "@my-ml-platform-dev.iam.gserviceaccount.com",
    ]);
    const deps = one(resources, T.release, "kueue-release").options.dependsOn as string[];
    expect(deps).toContain(
      one(resources, "gcp:compute/firewall:Firewall", "kueue-control-plane-to-webhook").urn,
    );
  });
});

describe("CRDs", () => {
  test("every CRD of the pinned version, retained on delete, their conversion webhook pointing at the release's Service", () => {
    const files = fs.readdirSync(path.join(PROJECT_DIR, "data/kueue/0.19.2/crds"));
    expect(files).toHaveLength(11);
    const crds = kueueCrds();
    expect(crds.map((c) => `kueue.x-k8s.io_${c.inputs.metadata.name.split(".")[0]}.yaml`).sort()).toEqual(
      files.sort(),
    );
    let converted = 0;
    for (const c of crds) {
      expect(c.options.retainOnDelete, c.name).toBe(true);
      expect(c.inputs.metadata.labels["ray-platform/kueue-version"]).toBe("0.19.2");
      expect(c.inputs.metadata.annotations["pulumi.com/patchForce"]).toBe("true");
      const service = c.inputs.spec.conversion?.webhook?.clientConfig?.service;
      if (service) {
        converted++;
        // The chart's fullname for release "kueue" is "kueue" (charts/kueue/templates/_helpers.tpl).
        expect(service).toMatchObject({
          name: "kueue-webhook-service",
          namespace: one(resources, T.release, "kueue-release").inputs.namespace,
        });
      }
    }
    expect(converted).toBe(5);
    expect(JSON.stringify(crds).includes("{{")).toBe(false);
  });

  test("the chart's own CRDs are dropped by the post-renderer, everything else passes through", () => {
    const script = path.join(PROJECT_DIR, one(resources, T.release, "kueue-release").inputs.postrender);
    expect(fs.statSync(script).mode & 0o111).not.toBe(0);
    const rendered = [
      "---\n# Source: kueue/templates/crd/kueue.x-k8s.io_clusterqueues.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterqueues.kueue.x-k8s.io\n",
      "---\n# Source: kueue/templates/manager/manager.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kueue-controller-manager\n",
      "---\n# Source: kueue/templates/rbac/role.yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  - apiGroups: [apiextensions.k8s.io]\n    resources: [customresourcedefinitions]\n",
    ].join("");
    const run = spawnSync(script, { input: rendered, encoding: "utf8" });
    expect(run.status).toBe(0);
    const kinds = run.stdout
      .split(/^---$/m)
      .map((d) => /^kind: (\S+)$/m.exec(d)?.[1])
      .filter(Boolean);
    expect(kinds).toEqual(["Deployment", "ClusterRole"]);
  });
});

describe("flavors", () => {
  test("one per GPU type, selecting its nodes and tolerating the GPU taint, and one for CPU", () => {
    const flavors = Object.fromEntries(
      ofType(resources, T.flavor).map((f) => [f.inputs.metadata.name, f.inputs.spec]),
    );
    const gpuPools = ofType(resources, T.pool).filter((p) => p.inputs.nodeConfig.guestAccelerators?.length);
    expect(gpuPools.length).toBe(2);
    expect(Object.keys(flavors).sort()).toEqual(["a100", "cpu", "t4"]);
    for (const pool of gpuPools) {
      const type = pool.inputs.nodeConfig.labels["ray-platform/pool"];
      // The flavor's node labels are labels of the pool's nodes; its toleration tolerates the pool's taint.
      for (const [k, v] of Object.entries(flavors[type].nodeLabels))
        expect(
          pool.inputs.nodeConfig.labels[k] ??
            (k === "cloud.google.com/gke-accelerator"
              ? pool.inputs.nodeConfig.guestAccelerators[0].type
              : undefined),
        ).toBe(v);
      expect(pool.inputs.nodeConfig.taints).toContainEqual({
        key: GPU_TAINT.key,
        value: GPU_TAINT.value,
        effect: "NO_SCHEDULE",
      });
      expect(flavors[type].tolerations).toEqual([
        { key: GPU_TAINT.key, operator: "Equal", value: GPU_TAINT.value, effect: GPU_TAINT.effect },
      ]);
    }
    expect(flavors.cpu).toEqual({});
  });
});

describe("queues", () => {
  test("one ClusterQueue per team in one cohort, nominal quota from the team file", () => {
    expect(
      ofType(resources, T.clusterQueue)
        .map((q) => q.inputs.metadata.name)
        .sort(),
    ).toEqual(TEAMS);
    for (const team of TEAMS) expect(clusterQueue(team).spec.cohortName).toBe("ray-platform");
    expect(quotas(clusterQueue("recsys"), "nominalQuota")).toEqual({
      cpu: "200",
      memory: "800Gi",
      t4: "8",
      a100: "0",
    });
    expect(quotas(clusterQueue("tech-research"), "nominalQuota")).toEqual({
      cpu: "128",
      memory: "1Ti",
      t4: "2",
      a100: "4",
    });
    expect(quotas(clusterQueue("ray-playground"), "nominalQuota")).toEqual({
      cpu: "96",
      memory: "384Gi",
      t4: "4",
      a100: "0",
    });
  });

  test("borrowing and lending limits and the weight come from the team file; by default a team borrows nothing and lends everything", () => {
    expect(quotas(clusterQueue("recsys"), "borrowingLimit")).toEqual({
      cpu: "64",
      memory: "256Gi",
      t4: "4",
      a100: "0",
    });
    expect(quotas(clusterQueue("tech-research"), "borrowingLimit")).toEqual({
      cpu: "0",
      memory: "0",
      t4: "0",
      a100: "0",
    });
    expect(quotas(clusterQueue("tech-research"), "lendingLimit")).toEqual({ a100: "2" });
    expect(quotas(clusterQueue("recsys"), "lendingLimit")).toEqual({});
    expect(clusterQueue("ray-playground").spec.fairSharing).toEqual({ weight: "500m" });
    expect(clusterQueue("recsys").spec.fairSharing).toEqual({ weight: "1" });
  });

  test("preemption takes lent quota back; only the team's namespace submits to its queue", () => {
    for (const team of TEAMS) {
      expect(clusterQueue(team).spec.preemption.reclaimWithinCohort).toBe("Any");
      expect(clusterQueue(team).spec.namespaceSelector).toEqual({
        matchLabels: { "kubernetes.io/metadata.name": team },
      });
    }
  });

  test("CPU and memory in the CPU flavor, GPUs in their type's flavor, every flavor the ClusterQueues name exists", () => {
    const flavors = new Set(ofType(resources, T.flavor).map((f) => f.inputs.metadata.name));
    const cq = clusterQueue("recsys");
    expect(
      cq.spec.resourceGroups.map((g: any) => [g.coveredResources, g.flavors.map((f: any) => f.name)]),
    ).toEqual([
      [["cpu", "memory"], ["cpu"]],
      [["nvidia.com/gpu"], ["a100", "t4"]],
    ]);
    for (const q of ofType(resources, T.clusterQueue))
      for (const g of q.inputs.spec.resourceGroups)
        for (const f of g.flavors) expect(flavors.has(f.name), f.name).toBe(true);
    const deps = one(resources, T.clusterQueue, "recsys-queue-clusterqueue").options.dependsOn as string[];
    for (const f of ofType(resources, T.flavor)) expect(deps).toContain(f.urn);
  });

  test("queues are retained when a team file goes, like its namespace and quotas", () => {
    for (const q of [...ofType(resources, T.clusterQueue), ...ofType(resources, T.localQueue)])
      expect(q.options.retainOnDelete, q.name).toBe(true);
  });

  test("a LocalQueue named default in each team namespace and the playground, to the team's ClusterQueue", () => {
    const lqs = ofType(resources, T.localQueue).map((q) => q.inputs);
    expect(lqs.map((q) => q.metadata.namespace).sort()).toEqual(TEAMS);
    for (const q of lqs)
      expect(q).toMatchObject({
        metadata: { name: "default" },
        spec: { clusterQueue: q.metadata.namespace },
      });
  });

  test("team members may see their Workloads, LocalQueue and queue position, and change none of them", () => {
    const granted = clusterRoleVerbs(resources, "tenancy-ray-user");
    const verbs = (group: string, resource: string) => granted(group, resource).sort();
    expect(verbs("kueue.x-k8s.io", "workloads")).toEqual(["get", "list", "watch"]);
    expect(verbs("kueue.x-k8s.io", "localqueues")).toEqual(["get", "list", "watch"]);
    expect(verbs("visibility.kueue.x-k8s.io", "localqueues/pendingworkloads")).toEqual(["get"]);
    expect(verbs("kueue.x-k8s.io", "clusterqueues")).toEqual([]);
  });

  test("the ResourceQuota is the ceiling of what Kueue can admit: quota plus borrowing", () => {
    expect(k8sObject(resources, T.quota, "recsys", "team-quota").spec.hard).toMatchObject({
      "requests.cpu": "264",
      "requests.memory": "1056Gi",
      "requests.nvidia.com/gpu": "12",
    });
    expect(k8sObject(resources, T.quota, "recsys", "gpu-t4").spec.hard).toEqual({
      "requests.nvidia.com/gpu": "12",
    });
    // No borrowing: the quota as written.
    expect(k8sObject(resources, T.quota, "tech-research", "team-quota").spec.hard).toMatchObject({
      "requests.cpu": "128",
      "requests.memory": "1Ti",
      "requests.nvidia.com/gpu": "6",
    });
  });
});

describe("RayClusters", () => {
  test("Kueue accounts or ignores every resource a Ray pod requests, LimitRange defaults included", () => {
    const config = parse(
      one(resources, T.release, "kueue-release").inputs.values.managerConfig.controllerManagerConfigYaml,
    );
    const excluded: string[] = config.resources.excludeResourcePrefixes;
    const covered = new Set(
      ofType(resources, T.clusterQueue).flatMap((q) =>
        q.inputs.spec.resourceGroups.flatMap((g: any) => g.coveredResources),
      ),
    );
    const requested = new Set<string>();
    for (const lr of ofType(resources, "kubernetes:core/v1:LimitRange"))
      for (const l of lr.inputs.spec.limits)
        for (const k of Object.keys({ ...l.defaultRequest, ...l.default })) requested.add(k);
    for (const rc of ofType(resources, T.rayCluster)) {
      const spec = rc.inputs.spec;
      for (const g of [spec.headGroupSpec, ...spec.workerGroupSpecs]) {
        for (const c of g.template.spec.containers)
          for (const k of Object.keys({ ...c.resources?.requests, ...c.resources?.limits })) requested.add(k);
      }
    }
    expect([...requested].sort()).toEqual(["cpu", "ephemeral-storage", "memory", "nvidia.com/gpu"]);
    for (const r of requested) expect(covered.has(r) || excluded.some((p) => r.startsWith(p)), r).toBe(true);
  });

  test("every RayCluster names its namespace's LocalQueue; autoscaled ones are elastic jobs", () => {
    const rcs = ofType(resources, T.rayCluster).map((r) => r.inputs);
    expect(rcs.length).toBe(3);
    const lqs = new Set(
      ofType(resources, T.localQueue).map((q) => `${q.inputs.metadata.namespace}/${q.inputs.metadata.name}`),
    );
    let elastic = 0;
    for (const rc of rcs) {
      expect(
        lqs.has(`${rc.metadata.namespace}/${rc.metadata.labels["kueue.x-k8s.io/queue-name"]}`),
        rc.metadata.name,
      ).toBe(true);
      expect(rc.metadata.annotations["kueue.x-k8s.io/elastic-job"]).toBe(
        rc.spec.enableInTreeAutoscaling ? "true" : undefined,
      );
      if (rc.spec.enableInTreeAutoscaling) elastic++;
    }
    expect(elastic).toBe(2);
  });

  test("every pod template of an autoscaled RayCluster carries Kueue's elastic-job gate, so updates pass Kueue's webhook", () => {
    // Kueue adds the gate on CREATE only but demands it on UPDATE (raycluster_webhook.go:81, 113, 182-214);
    // the worker list is atomic, so an update from the program must bring the gate itself.
    const rcs = ofType(resources, T.rayCluster).map((r) => r.inputs);
    const templates = (rc: (typeof rcs)[number]) => [
      rc.spec.headGroupSpec.template,
      ...rc.spec.workerGroupSpecs.map((g: { template: unknown }) => g.template),
    ];
    let gated = 0;
    for (const rc of rcs) {
      for (const t of templates(rc)) {
        expect(t.spec.schedulingGates, rc.metadata.name).toEqual(
          rc.spec.enableInTreeAutoscaling ? [{ name: "kueue.x-k8s.io/elastic-job" }] : undefined,
        );
        if (t.spec.schedulingGates) gated++;
      }
    }
    expect(gated).toBeGreaterThanOrEqual(4);
  });

  test("wait for Kueue's webhooks", () => {
    const deps = one(resources, T.rayCluster, "recsys/two-tower-raycluster").options.dependsOn as string[];
    // dependsOn of the component applies to its children: look at the component.
    const component = one(resources, "ray-platform:ray:RayCluster", "recsys/two-tower").options
      .dependsOn as string[];
    expect([...(deps ?? []), ...(component ?? [])]).toContain(one(resources, T.release, "kueue-release").urn);
  });
});

test("every Kueue object passes the pinned CRDs' schemas, and the check catches a broken one", () => {
  const validator = new ManifestValidator(kueueCrds().map((c) => c.inputs));
  const objects = [
    ...ofType(resources, T.flavor),
    ...ofType(resources, T.clusterQueue),
    ...ofType(resources, T.localQueue),
  ].map((r) => r.inputs);
  expect(objects).toHaveLength(9);
  for (const o of objects) expect(validator.problems(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
  const broken = structuredClone(clusterQueue("recsys"));
  broken.spec.queueingStrategy = "LIFO";
  expect(validator.problems(broken).join()).toContain(
    "/spec/queueingStrategy must be equal to one of the allowed values",
  );
});

test("adding a team adds its queues and changes no other team's Kueue objects, nor the flavors", async () => {
  const speech = fs
    .readFileSync(path.join(PROJECT_DIR, "teams/recsys.yaml"), "utf8")
    .replace("name: recsys", "name: speech")
    .replace("two-tower", "asr");
  const after = (
    await runProgram({ config: { "ray-platform:teamsDir": teamsDir({ "speech.yaml": speech }) } })
  ).resources;
  const kueue = (rs: RegisteredResource[]) =>
    rs.filter((r) => r.type.startsWith("kubernetes:kueue.x-k8s.io/"));
  const before = new Map(kueue(resources).map((r) => [`${r.type}::${r.name}`, r.inputs]));
  const added = kueue(after).filter((r) => !before.has(`${r.type}::${r.name}`));
  expect(added.map((r) => r.name).sort()).toEqual(["speech-queue-clusterqueue", "speech-queue-localqueue"]);
  let compared = 0;
  for (const r of kueue(after).filter((r) => before.has(`${r.type}::${r.name}`))) {
    compared++;
    expect(r.inputs, r.name).toEqual(before.get(`${r.type}::${r.name}`));
  }
  expect(compared).toBe(9);
});

describe("bad input", () => {
  const GOOD = fs.readFileSync(path.join(__dirname, "fixtures", "vision.yaml"), "utf8");
  const problems = (text: string) => configProblems({ teams: teamsDir({ "vision.yaml": text }) });

  test("the baseline team is valid", () => {
    expect(problems(GOOD)).toEqual([]);
    expect(
      problems(
        GOOD.replace(
          "    t4: 4\n",
          "    t4: 4\n  borrowing: { cpu: 32, gpus: { t4: 2 } }\n  lending: { cpu: 64, gpus: { t4: 1 } }\n  fairSharingWeight: 2.5\n",
        ),
      ),
    ).toEqual([]);
  });

  test("a fair-sharing weight that is not positive", () => {
    expect(problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  fairSharingWeight: 0\n"))).toEqual([
      "teams/vision.yaml:10:22 quota.fairSharingWeight: is 0, but a fair-sharing weight must be above 0 (2 gets twice the share of idle quota of a team with 1); set a positive number or remove it.",
    ]);
    expect(problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  fairSharingWeight: -1\n"))[0]).toMatch(
      /^teams\/vision\.yaml:10:22 quota\.fairSharingWeight: is -1, but/,
    );
  });

  test("a fair-sharing weight beyond what renders exactly and Kueue compares (issue 28)", () => {
    for (const w of ["1e300", "0.0004"]) {
      expect(problems(GOOD.replace("    t4: 4\n", `    t4: 4\n  fairSharingWeight: ${w}\n`)), w).toEqual([
        `teams/vision.yaml:10:22 quota.fairSharingWeight: is ${Number(w)}, outside what a weight can be here (0.001 to 1000000): weights compare teams, so 0.5, 1 and 4 say it; use a number in that range.`,
      ]);
    }
  });

  test("a lending limit above the quota it lends from", () => {
    expect(
      problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  lending:\n    cpu: 65\n    gpus: { t4: 5 }\n")),
    ).toEqual([
      "teams/vision.yaml:11:10 quota.lending.cpu: is 65 CPUs, more than the team's quota of it (64 CPUs); a team can lend only its own quota. Lower it to at most 64 CPUs.",
      "teams/vision.yaml:12:17 quota.lending.gpus.t4: is 5 t4 GPUs, more than the team's quota of it (4 t4 GPUs); a team can lend only its own quota. Lower it to at most 4 t4 GPUs.",
    ]);
  });

  test("a borrowing limit above what the rest of the cohort can lend", () => {
    // The repo's teams lend all their T4s, 4 (playground) + 8 (recsys) + 2 (tech-research) = 14,
    // and A100s only from tech-research, which lends at most 2 of its 4.
    expect(
      problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  borrowing:\n    gpus: { t4: 15, a100: 3 }\n")),
    ).toEqual([
      "teams/vision.yaml:11:17 quota.borrowing.gpus.t4: is 15 t4 GPUs, but the other 3 teams of the cohort can lend at most 14 t4 GPUs of it together; lower it to at most 14 t4 GPUs (or raise what other teams lend).",
      "teams/vision.yaml:11:27 quota.borrowing.gpus.a100: is 3 a100 GPUs, but the other 3 teams of the cohort can lend at most 2 a100 GPUs of it together; lower it to at most 2 a100 GPUs (or raise what other teams lend).",
    ]);
    expect(
      problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  borrowing:\n    gpus: { t4: 14, a100: 2 }\n")),
    ).toEqual([]);
  });

  test("a GPU type in borrowing or lending that the stack does not offer", () => {
    expect(problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  borrowing:\n    gpus: { h100: 1 }\n"))).toEqual(
      [
        'teams/vision.yaml:11:13 quota.borrowing.gpus.h100: "h100" is not a GPU this stack offers (offered: a100, t4); remove it.',
      ],
    );
  });

  test("a typo in the sharing keys", () => {
    expect(problems(GOOD.replace("    t4: 4\n", "    t4: 4\n  borowing: { cpu: 1 }\n"))[0]).toMatch(
      /^teams\/vision\.yaml:10:3 quota\.borowing: unknown key "borowing"; did you mean "borrowing"\?/,
    );
  });

  test("a Kueue version without pinned CRDs", () => {
    expect(configProblems({ overrides: { "ray-platform:kueue": { version: "0.20.0" } } })).toEqual([
      expect.stringMatching(
        /ray-platform:kueue\.version: Kueue "0\.20\.0" has no CRDs pinned in data\/kueue\/ \(pinned: 0\.19\.2\); run `npm run kueue:pin -- 0\.20\.0`/,
      ),
    ]);
  });
});

describe("the kind workflow's borrowing demo", () => {
  const read = (f: string) => parse(fs.readFileSync(path.join(PROJECT_DIR, "e2e/borrowing", f), "utf8"));
  const cpu = (rc: Record<string, any>) =>
    [rc.spec.headGroupSpec, ...rc.spec.workerGroupSpecs.map((g: any) => ({ ...g, n: g.replicas }))].reduce(
      (sum: number, g: any) =>
        sum +
        (g.n ?? 1) *
          g.template.spec.containers.reduce(
            (s: number, c: any) => s + parseQuantity(c.resources.requests.cpu)!,
            0,
          ),
      0,
    );

  test("the hand-made RayClusters pass the pinned RayCluster CRD, carry no queue label and land in e2e teams", async () => {
    const { resources: kind } = await sharedStack("kind");
    const validator = new ManifestValidator(ofType(kind, T.crd).map((c) => c.inputs));
    const namespaces = ofType(kind, "kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name);
    for (const f of ["borrower.yaml", "reclaim.yaml"]) {
      const rc = read(f);
      expect(validator.problems(rc), f).toEqual([]);
      expect(rc.metadata.labels?.["kueue.x-k8s.io/queue-name"]).toBeUndefined();
      expect(namespaces).toContain(rc.metadata.namespace);
    }
  });

  test("borrower fits only with borrowed CPU, and reclaim needs it back: the numbers the workflow checks", () => {
    const config = loadConfig({ stack: "kind" });
    const team = (n: string) => config.teams.find((t) => t.name === n)!;
    const smoke = team("smoke").queue;
    const lender = team("lender").queue;
    const smokeCluster = clusterDemand(
      defined(team("smoke").rayClusters[0], "smoke's RayCluster"),
      "replicas",
    ).cpu;
    const borrower = cpu(read("borrower.yaml"));
    const reclaim = cpu(read("reclaim.yaml"));
    // smoke's own cluster leaves less than borrower needs; borrowing covers it; the workflow expects 500m borrowed.
    expect(smokeCluster + borrower - smoke.nominal.cpu).toBe(0.5);
    expect(smokeCluster + borrower).toBeLessThanOrEqual(smoke.ceiling.cpu);
    expect(team("lender").rayClusters).toEqual([]);
    // reclaim fits lender's own quota, but not the cohort next to smoke's borrowing: Kueue must preempt.
    expect(reclaim).toBeLessThanOrEqual(lender.nominal.cpu);
    expect(smokeCluster + borrower + reclaim).toBeGreaterThan(smoke.nominal.cpu + lender.nominal.cpu);
    const workflow = fs.readFileSync(path.join(PROJECT_DIR, ".github/workflows/e2e-kind.yml"), "utf8");
    expect(workflow).toContain('[ "$borrowed" = 500m ]');
    expect(workflow).toContain("kubectl apply -f e2e/borrowing/reclaim.yaml");
  });
});
