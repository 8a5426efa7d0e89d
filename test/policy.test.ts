/**
 * The platform's policies, rule by rule, with good and bad resources; and over the real plans.
 * Every test also asserts what the rule examined: a rule that matched nothing (say, after a
 * label was renamed on one side only) would otherwise pass.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { checkPolicies } from "../plan/policies";
import { GPU_RESOURCE, GPU_TAINT, TEAM_LABEL } from "../config/wire";
import { type PolicyResource, RULES } from "../policy/rules";
import { loadConfig, type RegisteredResource, sharedStack } from "./mocks";

const rule = (name: string) => RULES.find((r) => r.name === name)!;
const res = (type: string, props: Record<string, any>, name = "r"): PolicyResource => ({ type, name, props });
const ns = (name: string) =>
  res("kubernetes:core/v1:Namespace", { metadata: { name, labels: { [TEAM_LABEL]: name } } });
const quota = (namespace: string, hard: Record<string, string>, scoped = false) =>
  res("kubernetes:core/v1:ResourceQuota", {
    metadata: { name: "q", namespace },
    spec: { hard, ...(scoped ? { scopeSelector: { matchExpressions: [] } } : {}) },
  });
const FULL_HARD = { "requests.cpu": "4", "requests.memory": "8Gi", [`requests.${GPU_RESOURCE}`]: "0" };
const netpol = (namespace: string, spec: Record<string, any>) =>
  res("kubernetes:networking.k8s.io/v1:NetworkPolicy", { metadata: { name: "p", namespace }, spec });
const gpuPool = (nodeConfig: Record<string, any>, min: number) =>
  res("gcp:container/nodePool:NodePool", {
    name: "t4",
    autoscaling: { totalMinNodeCount: min, totalMaxNodeCount: 4 },
    nodeConfig: {
      guestAccelerators: [{ type: "nvidia-tesla-t4", count: 1 }],
      gcfsConfig: { enabled: true },
      ...nodeConfig,
    },
  });
const TAINT = { key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" };
/** How a rule names what it examined: namespace/name for Kubernetes objects, the GCP name otherwise. */
const label = (r: PolicyResource) =>
  r.props.metadata
    ? [r.props.metadata.namespace, r.props.metadata.name].filter(Boolean).join("/")
    : r.props.name;
const outcome = (name: string, rs: PolicyResource[]) => {
  const o = rule(name).check(rs);
  return { examined: o.examined.map(label), messages: o.violations.map((v) => v.message) };
};

describe("team-namespace-has-quota", () => {
  test("passes with an unscoped quota on CPU, memory and GPUs", () => {
    expect(outcome("team-namespace-has-quota", [ns("a"), quota("a", FULL_HARD)])).toEqual({
      examined: ["a"],
      messages: [],
    });
  });
  test("examines only namespaces with the team label", () => {
    const other = res("kubernetes:core/v1:Namespace", { metadata: { name: "kube-system" } });
    expect(outcome("team-namespace-has-quota", [other])).toEqual({ examined: [], messages: [] });
  });
  test("fails without one, or with only a GPU-type (scoped) quota", () => {
    expect(
      outcome("team-namespace-has-quota", [ns("a"), quota("a", FULL_HARD, true), quota("b", FULL_HARD)]),
    ).toEqual({
      examined: ["a"],
      messages: [
        "team namespace a has no ResourceQuota on requests.cpu, requests.memory and requests.nvidia.com/gpu.",
      ],
    });
  });
});

describe("team-namespace-default-deny", () => {
  test("passes with a policy that selects every pod and allows no ingress", () => {
    expect(
      outcome("team-namespace-default-deny", [
        ns("a"),
        netpol("a", { podSelector: {}, policyTypes: ["Ingress"] }),
      ]),
    ).toEqual({ examined: ["a"], messages: [] });
  });
  test("fails when the only policies allow something", () => {
    expect(
      outcome("team-namespace-default-deny", [
        ns("a"),
        netpol("a", {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ podSelector: {} }] }],
        }),
      ]),
    ).toEqual({
      examined: ["a"],
      messages: [
        "team namespace a has no default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules).",
      ],
    });
  });
});

describe("rayclusters-queued", () => {
  const lq = (namespace: string, name = "default") =>
    res("kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue", {
      metadata: { name, namespace },
      spec: { clusterQueue: namespace },
    });
  const rc = (namespace: string, queue?: string) =>
    res("kubernetes:ray.io/v1:RayCluster", {
      metadata: { name: "c", namespace, labels: queue ? { "kueue.x-k8s.io/queue-name": queue } : {} },
      spec: {},
    });
  test("passes when each team namespace has the LocalQueue default and every RayCluster names one of its namespace", () => {
    expect(outcome("rayclusters-queued", [ns("a"), lq("a"), rc("a", "default")])).toEqual({
      examined: ["a", "a/c"],
      messages: [],
    });
  });
  test("fails for a namespace without it, a RayCluster without a queue, and one naming another namespace's queue", () => {
    expect(
      outcome("rayclusters-queued", [ns("a"), ns("b"), lq("a"), lq("b", "gpu"), rc("a"), rc("b", "default")]),
    ).toEqual({
      examined: ["a", "b", "a/c", "b/c"],
      messages: [
        'team namespace b has no Kueue LocalQueue "default"; RayClusters made without a queue name would never be admitted.',
        "RayCluster a/c names no LocalQueue (label kueue.x-k8s.io/queue-name); Kueue would not admit it.",
        'RayCluster b/c names LocalQueue "default", which its namespace lacks (label kueue.x-k8s.io/queue-name); Kueue would not admit it.',
      ],
    });
  });
});

describe("gpu-pool-tainted-and-scales-to-zero", () => {
  test("passes for a tainted GPU pool that scales to zero, and ignores CPU pools", () => {
    const cpu = res("gcp:container/nodePool:NodePool", {
      name: "cpu",
      autoscaling: { totalMinNodeCount: 1 },
      nodeConfig: {},
    });
    expect(outcome("gpu-pool-tainted-and-scales-to-zero", [gpuPool({ taints: [TAINT] }, 0), cpu])).toEqual({
      examined: ["t4"],
      messages: [],
    });
  });
  test("fails for a GPU pool without the taint and with a minimum above zero", () => {
    expect(outcome("gpu-pool-tainted-and-scales-to-zero", [gpuPool({ taints: [] }, 1)])).toEqual({
      examined: ["t4"],
      messages: [
        "GPU node pool t4 lacks the taint nvidia.com/gpu=present:NoSchedule, so non-GPU pods could hold its GPUs.",
        "GPU node pool t4 does not scale to zero (minimum must be 0), so idle GPUs keep costing.",
      ],
    });
  });
});

describe("raycluster-internal-only", () => {
  const rc = (head: Record<string, any>) =>
    res("kubernetes:ray.io/v1:RayCluster", {
      metadata: { name: "c", namespace: "a" },
      spec: { headGroupSpec: head },
    });
  test("passes for ClusterIP heads and Services", () => {
    const svc = res("kubernetes:core/v1:Service", {
      metadata: { name: "c-tools", namespace: "a" },
      spec: { type: "ClusterIP", selector: { "ray.io/cluster": "c" } },
    });
    const other = res("kubernetes:core/v1:Service", {
      metadata: { name: "web", namespace: "a" },
      spec: { type: "ClusterIP", selector: { app: "web" } },
    });
    expect(outcome("raycluster-internal-only", [rc({ serviceType: "ClusterIP" }), svc, other])).toEqual({
      examined: ["a/c", "a/c-tools"],
      messages: [],
    });
  });
  test("fails for a LoadBalancer head, an ingress, or a NodePort Service in front of Ray pods", () => {
    const svc = res("kubernetes:core/v1:Service", {
      metadata: { name: "c-open", namespace: "a" },
      spec: { type: "NodePort", selector: { "ray.io/node-type": "head" } },
    });
    expect(
      outcome("raycluster-internal-only", [
        rc({ serviceType: "LoadBalancer" }),
        rc({ enableIngress: true }),
        svc,
      ]),
    ).toEqual({
      examined: ["a/c", "a/c", "a/c-open"],
      messages: [
        "RayCluster c exposes its head outside the cluster (serviceType LoadBalancer); use ClusterIP and kubectl port-forward.",
        "RayCluster c exposes its head outside the cluster (serviceType undefined, enableIngress); use ClusterIP and kubectl port-forward.",
        "Service c-open exposes Ray pods outside the cluster (type NodePort); use ClusterIP.",
      ],
    });
  });
});

describe("image-streaming-on and cluster-deletion-protection", () => {
  const cluster = (props: Record<string, any>) =>
    res("gcp:container/cluster:Cluster", { name: "ray", ...props });
  test("pass for a cluster and pools that stream images, with deletion protection", () => {
    const c = cluster({
      deletionProtection: true,
      nodePoolDefaults: { nodeConfigDefaults: { gcfsConfig: { enabled: true } } },
    });
    expect(outcome("image-streaming-on", [c, gpuPool({ taints: [TAINT] }, 0)])).toEqual({
      examined: ["ray", "t4"],
      messages: [],
    });
    expect(outcome("cluster-deletion-protection", [c])).toEqual({ examined: ["ray"], messages: [] });
  });
  test("fail when either is off", () => {
    const c = cluster({
      deletionProtection: false,
      nodePoolDefaults: { nodeConfigDefaults: { gcfsConfig: { enabled: false } } },
    });
    expect(outcome("image-streaming-on", [c, gpuPool({ gcfsConfig: { enabled: false } }, 0)])).toEqual({
      examined: ["ray", "t4"],
      messages: [
        "cluster ray does not turn image streaming on by default (nodePoolDefaults.nodeConfigDefaults.gcfsConfig.enabled).",
        "node pool t4 has image streaming off (nodeConfig.gcfsConfig.enabled); large Ray GPU images would take minutes to pull.",
      ],
    });
    expect(outcome("cluster-deletion-protection", [c])).toEqual({
      examined: ["ray"],
      messages: ["cluster ray has deletion protection off."],
    });
  });
});

describe("over the real plans", () => {
  let dev: RegisteredResource[];
  beforeAll(async () => {
    ({ resources: dev } = await sharedStack());
  });

  test("the dev stack breaks no rule", () => {
    expect(checkPolicies(dev)).toEqual([]);
  });

  test("over the dev stack, every rule examined what its configuration says exists", () => {
    const config = loadConfig();
    if (config.mode !== "gke") throw new Error("the dev stack is in gke mode");
    const teams = config.teams.map((t) => t.name).sort();
    const clusters = config.teams.flatMap((t) => t.rayClusters.map((c) => `${t.name}/${c.name}`)).sort();
    const pools = (gpu: boolean) =>
      config.pools
        .filter((p) => !gpu || p.gpu)
        .map((p) => p.name)
        .sort();
    const resources = dev.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    // GKE names a pool <pool>-<hash of what would replace it>.
    const examined = (name: string, type: string) =>
      rule(name)
        .check(resources)
        .examined.filter((r) => r.type === type)
        .map(label)
        .map((n) => (type.startsWith("gcp:container/nodePool") ? n.replace(/-[0-9a-f]{6}$/, "") : n))
        .sort();
    const T = {
      ns: "kubernetes:core/v1:Namespace",
      rc: "kubernetes:ray.io/v1:RayCluster",
      svc: "kubernetes:core/v1:Service",
      pool: "gcp:container/nodePool:NodePool",
      cluster: "gcp:container/cluster:Cluster",
    };

    expect(teams.length).toBeGreaterThan(1);
    expect(clusters.length).toBeGreaterThan(1);
    expect(pools(true).length).toBeGreaterThan(0);
    expect(examined("team-namespace-has-quota", T.ns)).toEqual(teams);
    expect(examined("team-namespace-default-deny", T.ns)).toEqual(teams);
    expect(examined("rayclusters-queued", T.ns)).toEqual(teams);
    expect(examined("rayclusters-queued", T.rc)).toEqual(clusters);
    expect(examined("gpu-pool-tainted-and-scales-to-zero", T.pool)).toEqual(pools(true));
    expect(examined("raycluster-internal-only", T.rc)).toEqual(clusters);
    expect(examined("raycluster-internal-only", T.svc)).toEqual(clusters.map((c) => `${c}-tools`));
    expect(examined("image-streaming-on", T.pool)).toEqual(pools(false));
    expect(examined("image-streaming-on", T.cluster)).toEqual([config.gke.clusterName]);
    expect(examined("cluster-deletion-protection", T.cluster)).toEqual([config.gke.clusterName]);
  });

  test("the plan's adapter reports a rule broken in the registered resources, naming the rule", () => {
    const broken = dev.map((r) =>
      r.type === "gcp:container/cluster:Cluster"
        ? { ...r, inputs: { ...r.inputs, deletionProtection: false } }
        : r,
    );
    expect(checkPolicies(broken)).toEqual([
      "cluster-deletion-protection: cluster ray-dev has deletion protection off.",
    ]);
  });
});
