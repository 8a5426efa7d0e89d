/**
 * A team namespace's objects as Kubernetes gets them, from a team file (render/tenancy.ts),
 * without evaluating the program: test/team.test.ts and test/security.test.ts check the same
 * promises on the evaluated program. Fast on purpose: mutation testing (npm run test:mutation)
 * runs it for every mutant of render/tenancy.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { type PlatformConfig } from "../config/load";
import {
  gpuQuotas,
  limitRange,
  namespace,
  networkPolicies,
  ownersBinding,
  playgroundBinding,
  quotaHard,
  rayUsersBinding,
  resourceQuota,
  serviceAccount,
  type TenancyContext,
  workloadIdentityPrincipal,
} from "../render/tenancy";
import { loadConfig, teamsDir } from "./mocks";

const VISION = fs
  .readFileSync(path.join(__dirname, "fixtures", "vision.yaml"), "utf8")
  .replace(
    "owners:\n  - user:ana@example.com\n",
    "owners:\n  - user:ana@example.com\n  - group:vision-leads@example.com\ncontributors:\n  - user:bo@example.com\n  - user:ana@example.com\n",
  );
const configOf = (text: string): PlatformConfig => loadConfig({ teams: teamsDir({ "vision.yaml": text }) });
const teamOf = (text: string, name = "vision") => configOf(text).teams.find((t) => t.name === name)!;
const ctxOf = (config: PlatformConfig): TenancyContext => ({
  gpuTypes: config.gpuTypes,
  operatorNamespace: config.kuberay.namespace,
  monitoringNamespace: config.monitoringNamespace,
});
const LABELS = { "ray-platform/team": "vision", "app.kubernetes.io/managed-by": "ray-platform" };

describe("the namespace", () => {
  test("is the team's, labelled for Pod Security (baseline enforced, restricted warned and audited), annotated with description and owners", () => {
    expect(namespace(teamOf(VISION))).toEqual({
      metadata: {
        name: "vision",
        labels: {
          ...LABELS,
          "pod-security.kubernetes.io/enforce": "baseline",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
        annotations: {
          "ray-platform/description": "Image models.",
          "ray-platform/owners": "ana@example.com,vision-leads@example.com",
        },
      },
    });
  });
});

describe("quotas", () => {
  const sharing = "  borrowing: { cpu: 2, memory: 1Gi, gpus: { t4: 1 } }\n";
  const withQuota = (extra: string) => VISION.replace("    t4: 4\n", `    t4: 4\n${extra}`);

  test("the namespace quota: quota plus borrowing of CPU, memory and all GPUs, storage, objects, RayClusters", () => {
    const q = resourceQuota(teamOf(withQuota(`  rayClusters: 2\n${sharing}`))) as any;
    expect(q.metadata).toEqual({
      name: "team-quota",
      namespace: "vision",
      labels: LABELS,
      // Created once the quota controller has counted RayClusters: until then the API server refuses them.
      annotations: { "pulumi.com/waitFor": "jsonpath={.status.used['count/rayclusters.ray.io']}" },
    });
    expect(q.spec.hard).toEqual({
      "requests.cpu": "66",
      "requests.memory": "257Gi",
      "requests.nvidia.com/gpu": "5",
      "requests.storage": "0",
      "requests.ephemeral-storage": "500Gi",
      services: "30",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
      configmaps: "50",
      secrets: "30",
      pods: "300",
      persistentvolumeclaims: "20",
      "count/rayclusters.ray.io": "2",
    });
  });

  test("without a RayCluster count, none is limited and the quota waits for any count", () => {
    const q = resourceQuota(teamOf(VISION)) as any;
    expect(q.spec.hard).not.toHaveProperty(["count/rayclusters.ray.io"]);
    expect(q.metadata.annotations).toEqual({ "pulumi.com/waitFor": "jsonpath={.status.used}" });
  });

  test("the plan's quota: the nominal quota, no GPU sum", () => {
    const team = teamOf(withQuota(sharing));
    const hard = quotaHard(team, team.queue.nominal, { gpus: false });
    expect(hard).toMatchObject({ "requests.cpu": "64", "requests.memory": "256Gi", "requests.storage": "0" });
    expect(hard).not.toHaveProperty(["requests.nvidia.com/gpu"]);
  });

  test("a quota per offered GPU type, scoped to its PriorityClass: quota plus borrowing, 0 for a type the team lacks", () => {
    const config = configOf(withQuota(sharing));
    const quotas = gpuQuotas(
      config.teams.find((t) => t.name === "vision")!,
      ctxOf(config),
    );
    expect(quotas.map((q) => q.type).sort()).toEqual(["a100", "t4"]);
    for (const { type, quota } of quotas) {
      expect(quota.metadata).toEqual({
        name: `gpu-${type}`,
        namespace: "vision",
        labels: LABELS,
        annotations: { "pulumi.com/waitFor": "jsonpath={.status.used}" },
      });
    }
    expect(quotas.find((q) => q.type === "t4")!.quota.spec).toEqual({
      hard: { "requests.nvidia.com/gpu": "5" },
      scopeSelector: {
        matchExpressions: [
          { scopeName: "PriorityClass", operator: "In", values: ["ray-platform-gpu-nvidia-tesla-t4"] },
        ],
      },
    });
    expect((quotas.find((q) => q.type === "a100")!.quota as any).spec.hard).toEqual({
      "requests.nvidia.com/gpu": "0",
    });
  });

  test("container defaults live in the team's namespace", () => {
    const lr = limitRange(teamOf(VISION)) as any;
    expect(lr.metadata).toEqual({ name: "defaults", namespace: "vision", labels: LABELS });
    expect(lr.spec.limits).toEqual([expect.objectContaining({ type: "Container" })]);
  });
});

describe("RBAC", () => {
  const subject = (kind: string, name: string) => ({ kind, name, apiGroup: "rbac.authorization.k8s.io" });
  const role = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name });

  test("owners get the team-owner role in the namespace", () => {
    expect(ownersBinding(teamOf(VISION))).toEqual({
      metadata: { name: "owners", namespace: "vision", labels: LABELS },
      roleRef: role("ray-platform:team-owner"),
      subjects: [subject("User", "ana@example.com"), subject("Group", "vision-leads@example.com")],
    });
  });

  test("owners and contributors, each once, get the ray-user role in the namespace and in the playground", () => {
    const team = teamOf(VISION);
    const members = [
      subject("User", "ana@example.com"),
      subject("Group", "vision-leads@example.com"),
      subject("User", "bo@example.com"),
    ];
    expect(rayUsersBinding(team)).toEqual({
      metadata: { name: "ray-users", namespace: "vision", labels: LABELS },
      roleRef: role("ray-platform:ray-user"),
      subjects: members,
    });
    expect(playgroundBinding(team)).toEqual({
      metadata: { name: "team-vision", namespace: "ray-playground", labels: LABELS },
      roleRef: role("ray-platform:ray-user"),
      subjects: members,
    });
  });

  test("a user and a group of the same name are two members", () => {
    const team = teamOf(VISION.replace("  - user:bo@example.com\n", "  - group:ana@example.com\n"));
    expect(rayUsersBinding(team).subjects).toEqual([
      subject("User", "ana@example.com"),
      subject("Group", "vision-leads@example.com"),
      subject("Group", "ana@example.com"),
    ]);
  });
});

describe("network policies", () => {
  const config = () => configOf(VISION);
  const policies = (team: string) =>
    networkPolicies(
      config().teams.find((t) => t.name === team)!,
      ctxOf(config()),
    ) as Record<string, any>;

  test("each in the team's namespace, labelled as the team's", () => {
    for (const [name, p] of Object.entries(policies("vision")))
      expect(p.metadata, name).toEqual({ name, namespace: "vision", labels: LABELS });
  });

  test("ingress is denied, but from the namespace's own pods; in the playground, not to Ray clusters' pods", () => {
    expect(policies("vision")["default-deny-ingress"].spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
    });
    const same = { policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] };
    expect(policies("vision")["allow-same-namespace"].spec).toEqual({ podSelector: {}, ...same });
    expect(policies("ray-playground")["allow-same-namespace"].spec).toEqual({
      podSelector: { matchExpressions: [{ key: "ray.io/cluster", operator: "DoesNotExist" }] },
      ...same,
    });
  });

  test("the operator's namespace reaches Ray heads on the dashboard and Serve over TCP, the collectors' every Ray pod's metrics", () => {
    const fromNamespace = (name: string) => [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } },
    ];
    expect(policies("vision")["allow-operator-to-ray-heads"].spec).toEqual({
      podSelector: { matchLabels: { "ray.io/node-type": "head" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: fromNamespace(config().kuberay.namespace),
          ports: [
            { protocol: "TCP", port: 8265 },
            { protocol: "TCP", port: 8000 },
          ],
        },
      ],
    });
    expect(policies("vision")["allow-metrics-scrape"].spec).toEqual({
      podSelector: { matchLabels: { "ray.io/is-ray-node": "yes" } },
      policyTypes: ["Ingress"],
      ingress: [
        { from: fromNamespace(config().monitoringNamespace), ports: [{ protocol: "TCP", port: 8080 }] },
      ],
    });
  });
});

describe("identity", () => {
  test("the Ray pods' service account is the team's, in its namespace", () => {
    expect(serviceAccount(teamOf(VISION))).toEqual({
      metadata: { name: "ray", namespace: "vision", labels: LABELS },
    });
  });

  test("Workload Identity names a Kubernetes service account by project, namespace and name", () => {
    expect(workloadIdentityPrincipal("123456", "my-project", "vision", "ray")).toBe(
      "principal://iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/vision/sa/ray",
    );
  });
});
