/**
 * render/ from hand-built inputs: no stack file, no team file, no Pulumi. Each test builds the
 * resolved team or cluster it is about, so the examples can change without touching these.
 */
import { describe, expect, test } from "vitest";
import { type ResolvedPool, type PoolGpu } from "../config/nodePools";
import { type ResolvedGroup, type ResolvedRayCluster } from "../config/rayClusters";
import { type ResolvedTeam } from "../config/teams";
import {
  ACCELERATOR_LABEL,
  GPU_RESOURCE,
  GPU_TAINT,
  gpuPriorityClass,
  KUBERAY_LABELS,
  POOL_LABEL,
  QUEUE_LABEL,
  RAY_PORTS,
  RAY_SERVE_PORT,
  ROLE_LABEL,
  TEAM_LABEL,
  TOOL_PORTS,
} from "../config/wire";
import { sameNamespaceSelector } from "../render/clusterAccess";
import { renderRayCluster, toolsService } from "../render/rayCluster";
import { gpuQuotas, networkPolicies, resourceQuota } from "../render/tenancy";
import { defined } from "./defined";

/** The RayCluster as plain JSON, as the API server would store it (tsc checks the typed renderer itself). */
const render = (c: ResolvedRayCluster): any => JSON.parse(JSON.stringify(renderRayCluster(c)));

const GiB = 2 ** 30;
const T4: PoolGpu = { type: "t4", gkeType: "nvidia-tesla-t4", count: 1 };

function pool(name: string, role: ResolvedPool["role"], gpu?: PoolGpu): ResolvedPool {
  return {
    name,
    role,
    minNodes: 0,
    maxNodes: 4,
    spot: false,
    diskSizeGb: 100,
    diskType: "pd-balanced",
    gpu,
    zones: [],
    nodeLabels: {},
    selector: { [POOL_LABEL]: name, ...(gpu ? { [ACCELERATOR_LABEL]: gpu.gkeType } : {}) },
    taints: [gpu ? GPU_TAINT : { key: ROLE_LABEL, value: role, effect: "NoSchedule" }],
  };
}

const HEAD_POOL = pool("ray-head", "ray-head");
const CPU_POOL = pool("cpu-worker", "ray-worker");
const T4_POOL = pool("t4", "ray-worker", T4);

const group = (over: Partial<ResolvedGroup> = {}): ResolvedGroup => ({
  name: "head",
  pool: HEAD_POOL,
  cpu: 4,
  memoryBytes: 16 * GiB,
  sizedToNode: false,
  rayStartParams: {},
  ...over,
});
const workers = (
  name: string,
  p: ResolvedPool,
  replicas: [number, number, number],
  over: Partial<ResolvedGroup> = {},
) => ({
  ...group({ name, pool: p, gpu: p.gpu, ...over }),
  replicas: replicas[0],
  minReplicas: replicas[1],
  maxReplicas: replicas[2],
});

function cluster(over: Partial<ResolvedRayCluster> = {}): ResolvedRayCluster {
  return {
    name: "demo",
    namespace: "vision",
    rayVersion: "2.52.0",
    images: { cpu: "ray:cpu", gpu: "ray:gpu", notebook: "ray:extra", vscode: "openvscode" },
    head: group(),
    workerGroups: [],
    notebook: false,
    vscode: false,
    tutorials: false,
    serviceAccountName: "ray",
    ...over,
  };
}

describe("renderRayCluster", () => {
  test("a head alone keeps its CPUs for Ray, is not autoscaled and carries no Kueue elastic markers", () => {
    const rc = render(cluster());
    expect(rc.spec.headGroupSpec.rayStartParams).toEqual({
      "dashboard-host": "0.0.0.0",
      port: String(RAY_PORTS.gcs),
      "dashboard-port": String(RAY_PORTS.dashboard),
      "ray-client-server-port": String(RAY_PORTS.client),
      "metrics-export-port": String(RAY_PORTS.metrics),
    });
    expect(rc.spec.enableInTreeAutoscaling).toBeUndefined();
    expect(rc.metadata.annotations).toEqual({ "pulumi.com/patchForce": "true" });
    expect(rc.metadata.labels[QUEUE_LABEL]).toBe("default");
    expect(rc.metadata.labels[TEAM_LABEL]).toBe("vision");
    expect(rc.spec.headGroupSpec.template.spec.schedulingGates).toBeUndefined();
  });

  test("a head with workers does no Ray work unless the team file says so", () => {
    const withWorkers = cluster({ workerGroups: [workers("cpu", CPU_POOL, [2, 2, 2])] });
    expect(render(withWorkers).spec.headGroupSpec.rayStartParams["num-cpus"]).toBe("0");
    const told = { ...withWorkers, head: group({ rayStartParams: { "num-cpus": "2" } }) };
    expect(render(told).spec.headGroupSpec.rayStartParams["num-cpus"]).toBe("2");
    const inResources = { ...withWorkers, head: group({ rayResources: { CPU: "1" } }) };
    expect(render(inResources).spec.headGroupSpec.rayStartParams["num-cpus"]).toBeUndefined();
  });

  test("a GPU group lands on its pool, tolerates its taint, asks for its GPUs and is counted by its type's quota", () => {
    const rc = render(cluster({ workerGroups: [workers("t4", T4_POOL, [1, 1, 1], { gpu: T4 })] }));
    const spec = rc.spec.workerGroupSpecs[0].template.spec;
    expect(spec.nodeSelector).toEqual({ [POOL_LABEL]: "t4", [ACCELERATOR_LABEL]: "nvidia-tesla-t4" });
    expect(spec.tolerations).toEqual([
      { key: GPU_TAINT.key, operator: "Equal", value: GPU_TAINT.value, effect: "NoSchedule" },
    ]);
    expect(spec.priorityClassName).toBe(gpuPriorityClass("nvidia-tesla-t4"));
    expect(spec.containers[0].image).toBe("ray:gpu");
    expect(spec.containers[0].resources.limits[GPU_RESOURCE]).toBe("1");
    expect(spec.containers[0].resources.requests).toEqual(spec.containers[0].resources.limits);
  });

  test("an autoscaled group makes the cluster elastic: annotation, scheduling gate in every template, its count left to the autoscaler", () => {
    const c = cluster({
      workerGroups: [workers("fixed", CPU_POOL, [1, 1, 1]), workers("elastic", CPU_POOL, [0, 0, 5])],
      autoscaling: { idleTimeoutSeconds: 60, upscalingMode: "Default" },
    });
    const rc = render(c);
    expect(rc.spec.enableInTreeAutoscaling).toBe(true);
    expect(rc.spec.autoscalerOptions).toMatchObject({
      version: "v2",
      idleTimeoutSeconds: 60,
      upscalingMode: "Default",
    });
    expect(rc.metadata.annotations["kueue.x-k8s.io/elastic-job"]).toBe("true");
    const templates = [
      rc.spec.headGroupSpec.template,
      ...rc.spec.workerGroupSpecs.map((g: any) => g.template),
    ];
    expect(templates).toHaveLength(3);
    for (const t of templates)
      expect(t.spec.schedulingGates).toEqual([{ name: "kueue.x-k8s.io/elastic-job" }]);
    expect(rc.spec.workerGroupSpecs.map((g: any) => g.replicas)).toEqual([1, undefined]);
  });

  test("every cluster has token auth naming its own Secret, whichever tools it has", () => {
    for (const tools of [
      {},
      { notebook: true },
      { vscode: true },
      { tutorials: true },
      { notebook: true, vscode: true, tutorials: true },
    ]) {
      for (const namespace of ["vision", "ray-playground"]) {
        expect(
          render(cluster({ namespace, ...tools })).spec.authOptions,
          JSON.stringify({ namespace, ...tools }),
        ).toEqual({ mode: "token", secretName: "demo-token" });
      }
    }
  });

  test("the tools Service exists only with a tool, with each tool's port", () => {
    expect(toolsService(cluster())).toBeUndefined();
    const svc = toolsService(cluster({ notebook: true })) as any;
    expect(svc.spec.ports).toEqual([
      { name: "notebook", port: TOOL_PORTS.notebook, targetPort: "notebook", protocol: "TCP" },
    ]);
    expect(
      (toolsService(cluster({ notebook: true, vscode: true })) as any).spec.ports.map((p: any) => p.port),
    ).toEqual([TOOL_PORTS.notebook, TOOL_PORTS.vscode]);
  });

  test("a team bucket is mounted in every Ray pod, with GKE's FUSE sidecar asked for", () => {
    const rc = render(
      cluster({ bucket: "p-ray-vision", workerGroups: [workers("cpu", CPU_POOL, [1, 1, 1])] }),
    );
    for (const t of [rc.spec.headGroupSpec.template, rc.spec.workerGroupSpecs[0].template]) {
      expect(t.metadata.annotations["gke-gcsfuse/volumes"]).toBe("true");
      expect(t.spec.volumes.find((v: any) => v.name === "bucket").csi.volumeAttributes.bucketName).toBe(
        "p-ray-vision",
      );
    }
  });
});

describe("tenancy from a hand-built team", () => {
  const zero = { cpu: 0, memoryBytes: 0, gpus: {} };
  const team = (
    ceilingGpus: Record<string, number>,
    rayClusters: ResolvedRayCluster[] = [],
  ): ResolvedTeam => ({
    name: "vision",
    file: "teams/vision.yaml",
    description: "Vision",
    owners: [{ kind: "User", name: "ana@example.com" }],
    contributors: [],
    quota: {
      cpu: "8",
      memory: "32Gi",
      storage: "100Gi",
      ephemeralStorage: "50Gi",
      objects: { services: 10, configMaps: 10, secrets: 10, pods: 20, persistentVolumeClaims: 5 },
      gpus: ceilingGpus,
    },
    queue: {
      nominal: { cpu: 8, memoryBytes: 32 * GiB, gpus: ceilingGpus },
      borrowing: zero,
      borrowingSet: { gpus: {} },
      lending: { gpus: {} },
      fairSharingWeight: 1,
      ceiling: { cpu: 12, memoryBytes: 48 * GiB, gpus: ceilingGpus },
    },
    serviceAccountName: "ray",
    rayClusters,
  });
  const ctx = {
    gpuTypes: { t4: "nvidia-tesla-t4", a100: "nvidia-tesla-a100" },
    operatorNamespace: "kuberay-system",
    monitoringNamespace: "gke-gmp-system",
  };

  test("the namespace quota is the queue's ceiling, GPUs of every type summed", () => {
    const hard = (resourceQuota(team({ t4: 2, a100: 1 })) as any).spec.hard;
    expect(hard).toMatchObject({
      "requests.cpu": "12",
      "requests.memory": "48Gi",
      [`requests.${GPU_RESOURCE}`]: "3",
      "requests.storage": "100Gi",
    });
  });

  test("one quota per offered GPU type, 0 for a type the team has none of, scoped to that type's PriorityClass", () => {
    const quotas = gpuQuotas(team({ t4: 2 }), ctx);
    expect(quotas.map((q) => [q.type, (q.quota as any).spec.hard[`requests.${GPU_RESOURCE}`]])).toEqual([
      ["t4", "2"],
      ["a100", "0"],
    ]);
    expect(
      (defined(quotas[1], "a second GPU quota").quota as any).spec.scopeSelector.matchExpressions[0].values,
    ).toEqual([gpuPriorityClass("nvidia-tesla-a100")]);
  });

  test("network policies: deny by default, the operator reaches heads on the dashboard and Serve, collectors only metrics", () => {
    const p = networkPolicies(team({}), ctx) as any;
    expect(Object.keys(p)).toEqual([
      "default-deny-ingress",
      "allow-same-namespace",
      "allow-operator-to-ray-heads",
      "allow-metrics-scrape",
    ]);
    expect(p["default-deny-ingress"].spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    expect(p["allow-operator-to-ray-heads"].spec.ingress[0].ports.map((x: any) => x.port)).toEqual([
      RAY_PORTS.dashboard,
      RAY_SERVE_PORT,
    ]);
    expect(p["allow-operator-to-ray-heads"].spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      "kubernetes.io/metadata.name": "kuberay-system",
    });
    expect(p["allow-metrics-scrape"].spec.ingress[0]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gke-gmp-system" } } }],
      ports: [{ protocol: "TCP", port: RAY_PORTS.metrics }],
    });
  });

  test("in the shared playground, the namespace-wide allow leaves out the pods of every Ray cluster, however made", () => {
    expect(sameNamespaceSelector("vision")).toEqual({});
    expect(sameNamespaceSelector("ray-playground")).toEqual({
      matchExpressions: [{ key: KUBERAY_LABELS.cluster, operator: "DoesNotExist" }],
    });
  });
});
