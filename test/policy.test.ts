/** The platform's policies, rule by rule, with good and bad resources; and over the real plans. */
import { beforeAll, describe, expect, test } from "vitest";
import { checkPolicies } from "../plan/policies";
import { type PolicyResource, RULES } from "../policy/rules";
import { type RegisteredResource, runProgram } from "./mocks";

const rule = (name: string) => RULES.find((r) => r.name === name)!;
const res = (type: string, props: Record<string, any>, name = "r"): PolicyResource => ({ type, name, props });
const ns = (name: string) => res("kubernetes:core/v1:Namespace", { metadata: { name, labels: { "ray-platform/team": name } } });
const quota = (namespace: string, hard: Record<string, string>, scoped = false) =>
  res("kubernetes:core/v1:ResourceQuota", { metadata: { name: "q", namespace }, spec: { hard, ...(scoped ? { scopeSelector: { matchExpressions: [] } } : {}) } });
const FULL_HARD = { "requests.cpu": "4", "requests.memory": "8Gi", "requests.nvidia.com/gpu": "0" };
const netpol = (namespace: string, spec: Record<string, any>) => res("kubernetes:networking.k8s.io/v1:NetworkPolicy", { metadata: { name: "p", namespace }, spec });
const gpuPool = (nodeConfig: Record<string, any>, min: number) =>
  res("gcp:container/nodePool:NodePool", { name: "t4", autoscaling: { totalMinNodeCount: min, totalMaxNodeCount: 4 }, nodeConfig: { guestAccelerators: [{ type: "nvidia-tesla-t4", count: 1 }], gcfsConfig: { enabled: true }, ...nodeConfig } });
const TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" };
const messages = (name: string, rs: PolicyResource[]) => rule(name).check(rs).map((v) => v.message);

describe("team-namespace-has-quota", () => {
  test("passes with an unscoped quota on CPU, memory and GPUs", () => {
    expect(messages("team-namespace-has-quota", [ns("a"), quota("a", FULL_HARD)])).toEqual([]);
  });
  test("fails without one, or with only a GPU-type (scoped) quota", () => {
    expect(messages("team-namespace-has-quota", [ns("a"), quota("a", FULL_HARD, true), quota("b", FULL_HARD)])).toEqual([
      "team namespace a has no ResourceQuota on requests.cpu, requests.memory and requests.nvidia.com/gpu.",
    ]);
  });
});

describe("team-namespace-default-deny", () => {
  test("passes with a policy that selects every pod and allows no ingress", () => {
    expect(messages("team-namespace-default-deny", [ns("a"), netpol("a", { podSelector: {}, policyTypes: ["Ingress"] })])).toEqual([]);
  });
  test("fails when the only policies allow something", () => {
    expect(messages("team-namespace-default-deny", [ns("a"), netpol("a", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] })])).toEqual([
      "team namespace a has no default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules).",
    ]);
  });
});

describe("rayclusters-queued", () => {
  const lq = (namespace: string, name = "default") => res("kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue", { metadata: { name, namespace }, spec: { clusterQueue: namespace } });
  const rc = (namespace: string, queue?: string) =>
    res("kubernetes:ray.io/v1:RayCluster", { metadata: { name: "c", namespace, labels: queue ? { "kueue.x-k8s.io/queue-name": queue } : {} }, spec: {} });
  test("passes when each team namespace has the LocalQueue default and every RayCluster names one of its namespace", () => {
    expect(messages("rayclusters-queued", [ns("a"), lq("a"), rc("a", "default")])).toEqual([]);
  });
  test("fails for a namespace without it, a RayCluster without a queue, and one naming another namespace's queue", () => {
    expect(messages("rayclusters-queued", [ns("a"), ns("b"), lq("a"), lq("b", "gpu"), rc("a"), rc("b", "default")])).toEqual([
      'team namespace b has no Kueue LocalQueue "default"; RayClusters made without a queue name would never be admitted.',
      "RayCluster a/c names no LocalQueue (label kueue.x-k8s.io/queue-name); Kueue would not admit it.",
      'RayCluster b/c names LocalQueue "default", which its namespace lacks (label kueue.x-k8s.io/queue-name); Kueue would not admit it.',
    ]);
  });
});

describe("gpu-pool-tainted-and-scales-to-zero", () => {
  test("passes for a tainted GPU pool that scales to zero, and ignores CPU pools", () => {
    const cpu = res("gcp:container/nodePool:NodePool", { name: "cpu", autoscaling: { totalMinNodeCount: 1 }, nodeConfig: {} });
    expect(messages("gpu-pool-tainted-and-scales-to-zero", [gpuPool({ taints: [TAINT] }, 0), cpu])).toEqual([]);
  });
  test("fails for a GPU pool without the taint and with a minimum above zero", () => {
    expect(messages("gpu-pool-tainted-and-scales-to-zero", [gpuPool({ taints: [] }, 1)])).toEqual([
      "GPU node pool t4 lacks the taint nvidia.com/gpu=present:NoSchedule, so non-GPU pods could hold its GPUs.",
      "GPU node pool t4 does not scale to zero (minimum must be 0), so idle GPUs keep costing.",
    ]);
  });
});

describe("raycluster-internal-only", () => {
  const rc = (head: Record<string, any>) => res("kubernetes:ray.io/v1:RayCluster", { metadata: { name: "c" }, spec: { headGroupSpec: head } });
  test("passes for ClusterIP heads and Services", () => {
    const svc = res("kubernetes:core/v1:Service", { metadata: { name: "c-tools" }, spec: { type: "ClusterIP", selector: { "ray.io/cluster": "c" } } });
    expect(messages("raycluster-internal-only", [rc({ serviceType: "ClusterIP" }), svc])).toEqual([]);
  });
  test("fails for a LoadBalancer head, an ingress, or a NodePort Service in front of Ray pods", () => {
    const svc = res("kubernetes:core/v1:Service", { metadata: { name: "c-open" }, spec: { type: "NodePort", selector: { "ray.io/node-type": "head" } } });
    expect(messages("raycluster-internal-only", [rc({ serviceType: "LoadBalancer" }), rc({ enableIngress: true }), svc])).toEqual([
      "RayCluster c exposes its head outside the cluster (serviceType LoadBalancer); use ClusterIP and kubectl port-forward.",
      "RayCluster c exposes its head outside the cluster (serviceType undefined, enableIngress); use ClusterIP and kubectl port-forward.",
      "Service c-open exposes Ray pods outside the cluster (type NodePort); use ClusterIP.",
    ]);
  });
});

describe("image-streaming-on and cluster-deletion-protection", () => {
  const cluster = (props: Record<string, any>) => res("gcp:container/cluster:Cluster", { name: "ray", ...props });
  test("pass for a cluster and pools that stream images, with deletion protection", () => {
    const c = cluster({ deletionProtection: true, nodePoolDefaults: { nodeConfigDefaults: { gcfsConfig: { enabled: true } } } });
    expect(messages("image-streaming-on", [c, gpuPool({ taints: [TAINT] }, 0)])).toEqual([]);
    expect(messages("cluster-deletion-protection", [c])).toEqual([]);
  });
  test("fail when either is off", () => {
    const c = cluster({ deletionProtection: false, nodePoolDefaults: { nodeConfigDefaults: { gcfsConfig: { enabled: false } } } });
    expect(messages("image-streaming-on", [c, gpuPool({ gcfsConfig: { enabled: false } }, 0)])).toEqual([
      "cluster ray does not turn image streaming on by default (nodePoolDefaults.nodeConfigDefaults.gcfsConfig.enabled).",
      "node pool t4 has image streaming off (nodeConfig.gcfsConfig.enabled); large Ray GPU images would take minutes to pull.",
    ]);
    expect(messages("cluster-deletion-protection", [c])).toEqual(["cluster ray has deletion protection off."]);
  });
});

describe("over the real plans", () => {
  let dev: RegisteredResource[];
  beforeAll(async () => {
    ({ resources: dev } = await runProgram());
  });

  test("the dev stack breaks no rule", () => {
    expect(checkPolicies(dev)).toEqual([]);
  });

  test("the plan's adapter reports a rule broken in the registered resources, naming the rule", () => {
    const broken = dev.map((r) => (r.type === "gcp:container/cluster:Cluster" ? { ...r, inputs: { ...r.inputs, deletionProtection: false } } : r));
    expect(checkPolicies(broken)).toEqual(["cluster-deletion-protection: cluster ray-dev has deletion protection off."]);
  });
});
