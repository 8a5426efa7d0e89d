/**
 * Kueue's objects as plain data: its Helm values (with the manager's configuration), one
 * ResourceFlavor per GPU type and one for CPU, and per team a ClusterQueue in the shared
 * cohort and the LocalQueue of its namespace. API version kueue.x-k8s.io/v1beta2, the
 * storage version of Kueue 0.19's CRDs.
 */
import { stringify } from "yaml";
import { COHORT, formatAmounts, type KueueSettings, LOCAL_QUEUE } from "../config/kueue";
import { canonicalMemory } from "../config/quantity";
import { type ResolvedPool } from "../config/nodePools";
import { formatCpu } from "../config/quantity";
import { type ResolvedTeam } from "../config/teams";
import {
  ACCELERATOR_LABEL,
  GPU_RESOURCE,
  GPU_TAINT,
  MANAGED_BY,
  NAMESPACE_NAME_LABEL,
  TEAM_LABEL,
} from "../config/wire";
import { mergeValues } from "../config/operatorValues";

const KUEUE_API = "kueue.x-k8s.io/v1beta2";
export const KUEUE_CHART = "oci://registry.k8s.io/kueue/charts/kueue";
/** The published chart's image (hack/helm-chart-package.sh at v0.19.2 sets it on release). */
const KUEUE_IMAGE = "registry.k8s.io/kueue/kueue";
/** Flavor of CPU and memory, wherever a pod runs. */
export const CPU_FLAVOR = "cpu";
/** Ray frameworks Kueue manages (Kueue's integration names, v0.19.2 charts/kueue/values.yaml). */
const KUEUE_FRAMEWORKS = ["ray.io/rayjob", "ray.io/raycluster", "ray.io/rayservice"];

/** Resources Kueue does not account (the namespace's ResourceQuota does). */
const KUEUE_EXCLUDED_RESOURCES = ["ephemeral-storage"];

/** Kueue's manager configuration (config.kueue.x-k8s.io/v1beta2 Configuration). */
function managerConfig(): Record<string, unknown> {
  return {
    apiVersion: "config.kueue.x-k8s.io/v1beta2",
    kind: "Configuration",
    // The chart's defaults (v0.19.2 charts/kueue/values.yaml, managerConfig), kept as they are.
    health: { healthProbeBindAddress: ":8081" },
    metrics: { bindAddress: ":8443" },
    webhook: { port: 9443 },
    leaderElection: { leaderElect: true, resourceName: "c1f6bfd2.kueue.x-k8s.io" },
    controller: {
      groupKindConcurrency: {
        "Job.batch": 5,
        Pod: 5,
        "Workload.kueue.x-k8s.io": 10,
        "LocalQueue.kueue.x-k8s.io": 5,
        "ClusterQueue.kueue.x-k8s.io": 5,
        "ResourceFlavor.kueue.x-k8s.io": 1,
      },
    },
    clientConnection: { qps: 300, burst: 500 },
    // A Ray job without a queue name in a team namespace is still Kueue's: suspended until
    // admitted, and labelled with the namespace's "default" LocalQueue by Kueue's webhook
    // (apis/config/v1beta2/configuration_types.go:53-70). Other namespaces are left alone.
    manageJobsWithoutQueueName: true,
    managedJobsNamespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] },
    // Only Ray: plain Jobs, Pods and Deployments in team namespaces stay bounded by the
    // ResourceQuota alone (docs/queues.md).
    integrations: { frameworks: KUEUE_FRAMEWORKS },
    // Kueue counts every resource a pod requests, the LimitRange's defaults included, and never
    // admits one its ClusterQueue does not cover ("resource ... unavailable in ClusterQueue",
    // v0.19.2 pkg/scheduler/flavorassigner/flavorassigner.go:1071). Ephemeral storage, which
    // every container requests, is the ResourceQuota's alone
    // (configuration_types.go:594, excludeResourcePrefixes).
    resources: { excludeResourcePrefixes: KUEUE_EXCLUDED_RESOURCES },
    // Fair sharing among the cohort's ClusterQueues by their weights
    // (configuration_types.go:92, enabled by being set; cmd/kueue/main.go:346).
    fairSharing: { preemptionStrategies: ["LessThanOrEqualToFinalShare", "LessThanInitialShare"] },
  };
}

/** Helm values of the kueue release: the program's, with the stack's merged over them. */
export function kueueValues(
  kueue: KueueSettings,
  systemPool: ResolvedPool | undefined,
): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    controllerManager: {
      // Beta and on by default since 0.18 (v0.19.2 pkg/features/kube_features.go:712-715);
      // set so that an autoscaled RayCluster keeps working if the default changes.
      featureGates: [{ name: "ElasticJobsViaWorkloadSlices", enabled: true }],
      manager: { image: { repository: KUEUE_IMAGE, tag: `v${kueue.version}`, pullPolicy: "IfNotPresent" } },
      nodeSelector: systemPool ? { ...systemPool.selector } : {},
    },
    managerConfig: { controllerManagerConfigYaml: stringify(managerConfig()) },
  };
  return mergeValues(defaults, kueue.values as Record<string, unknown>);
}

const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  labels: { ...labels, ...MANAGED_BY },
});

/**
 * One ResourceFlavor per GPU type the pools offer: Kueue puts its node label on admitted
 * pods and adds the GPU taint's toleration (ResourceFlavorSpec nodeLabels, tolerations). The
 * CPU flavor has neither: it accounts CPU and memory of every Ray pod, GPU workers included,
 * which choose their pool by their own nodeSelector.
 */
export function resourceFlavors(
  gpuTypes: Readonly<Record<string, string>>,
): Record<string, Record<string, unknown>> {
  const flavors: Record<string, Record<string, unknown>> = {
    [CPU_FLAVOR]: { apiVersion: KUEUE_API, kind: "ResourceFlavor", metadata: meta(CPU_FLAVOR), spec: {} },
  };
  for (const [type, gkeType] of Object.entries(gpuTypes)) {
    flavors[type] = {
      apiVersion: KUEUE_API,
      kind: "ResourceFlavor",
      metadata: meta(type),
      spec: {
        nodeLabels: { [ACCELERATOR_LABEL]: gkeType },
        tolerations: [
          { key: GPU_TAINT.key, operator: "Equal", value: GPU_TAINT.value, effect: GPU_TAINT.effect },
        ],
      },
    };
  }
  return flavors;
}

/**
 * The team's ClusterQueue, named after the team: CPU and memory in the CPU flavor, GPUs in
 * one flavor per type (a pod gets one flavor per resource group), nominal quota from the team
 * file, borrowing and lending limits, fair-sharing weight; preemption takes lent quota back.
 */
export function clusterQueue(team: ResolvedTeam): Record<string, unknown> {
  const q = team.queue;
  const nominal = formatAmounts(q.nominal);
  const borrowing = formatAmounts(q.borrowing);
  const lend = (n: number | undefined, format: (n: number) => string) =>
    n === undefined ? {} : { lendingLimit: format(n) };
  const gpuTypes = Object.keys(q.nominal.gpus);
  const resourceGroups: Record<string, unknown>[] = [
    {
      coveredResources: ["cpu", "memory"],
      flavors: [
        {
          name: CPU_FLAVOR,
          resources: [
            {
              name: "cpu",
              nominalQuota: nominal.cpu,
              borrowingLimit: borrowing.cpu,
              ...lend(q.lending.cpu, formatCpu),
            },
            {
              name: "memory",
              nominalQuota: nominal.memory,
              borrowingLimit: borrowing.memory,
              ...lend(q.lending.memoryBytes, canonicalMemory),
            },
          ],
        },
      ],
    },
  ];
  if (gpuTypes.length > 0) {
    resourceGroups.push({
      coveredResources: [GPU_RESOURCE],
      flavors: gpuTypes.map((t) => ({
        name: t,
        resources: [
          {
            name: GPU_RESOURCE,
            nominalQuota: nominal.gpus[t],
            borrowingLimit: borrowing.gpus[t],
            ...lend(q.lending.gpus[t], String),
          },
        ],
      })),
    });
  }
  return {
    apiVersion: KUEUE_API,
    kind: "ClusterQueue",
    metadata: meta(team.name, { [TEAM_LABEL]: team.name }),
    spec: {
      cohortName: COHORT,
      // Only the team's own namespace submits here (through its LocalQueue).
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: team.name } },
      queueingStrategy: "BestEffortFIFO",
      resourceGroups,
      preemption: {
        // Take back lent quota from borrowers, whatever their priority
        // (v0.19.2 apis/kueue/v1beta2/clusterqueue_types.go:537, reclaimWithinCohort).
        reclaimWithinCohort: "Any",
        withinClusterQueue: "LowerPriority",
      },
      // As the API server stores the quantity ("500m" for 0.5): any other spelling is a diff on every refresh.
      fairSharing: { weight: formatCpu(q.fairSharingWeight) },
    },
  };
}

/** The team namespace's LocalQueue, named "default" so Kueue gives it to jobs without a queue name. */
export function localQueue(team: ResolvedTeam): Record<string, unknown> {
  return {
    apiVersion: KUEUE_API,
    kind: "LocalQueue",
    metadata: { ...meta(LOCAL_QUEUE, { [TEAM_LABEL]: team.name }), namespace: team.name },
    spec: { clusterQueue: team.name },
  };
}
