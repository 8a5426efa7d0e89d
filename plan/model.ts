/**
 * The platform as a reader sees it (cluster, pools, operators, teams with their quotas, queues
 * and RayClusters), made from the validated configuration of one revision: the summary, the
 * pull request's team table and the costs all read this, never teams or pools rebuilt from
 * registered resources. A revision's plan JSON carries its own view (plan/cli.ts), so the base
 * of a `--diff` is described by its own configuration and this file of its own tree, and read
 * back as data (plan/revision.ts).
 */
import { COHORT, formatAmounts, LOCAL_QUEUE, type ResolvedTeamQueue } from "../config/kueue";
import { canonicalMemory } from "../config/quantity";
import { dockerHubProxy, type PlatformConfig } from "../config/load";
import { formatCpu, formatMemory } from "../config/quantity";
import { type ResolvedGroup, type ResolvedRayCluster } from "../config/rayClusters";
import { type ResolvedTeam } from "../config/teams";
import {
  type GroupView,
  type PlatformView,
  type QueueView,
  type RayClusterView,
  type TeamView,
} from "../config/view";
import { RAY_PORTS, TOOL_PORTS } from "../config/wire";
import { CPU_FLAVOR } from "../render/kueue";
import { headServiceName, toolsServiceName } from "../render/rayCluster";
import { quotaHard, teamSubjects } from "../render/tenancy";
import { poolLabel, TYPES } from "./diff";
import { type RegisteredResource } from "./engine";

/** A stack that does not exist (yet): nothing in it. */
export const EMPTY_VIEW: PlatformView = { pools: [], teams: [], counts: {} };

export function platformView(config: PlatformConfig, resources: readonly RegisteredResource[]): PlatformView {
  const rendered = renderedFacts(resources);
  const gke = config.mode === "gke" ? config.gke : undefined;
  return {
    serviceRange: gke?.network.servicesCidr,
    cluster: gke && {
      name: gke.clusterName,
      location: gke.clusterLocation,
      zones: [...gke.zones],
      channel: gke.releaseChannel,
      imageStreaming: gke.imageStreaming,
      deletionProtection: gke.deletionProtection,
      privateNodes: gke.privateNodes,
      ...rendered.cluster,
    },
    imageRepository: gke && dockerHubProxy(gke),
    // In mode existing the pools are the cluster's own nodes: the program creates none.
    pools: gke
      ? config.pools.map((p) => ({
          name: p.name,
          gkeName: rendered.poolNames[p.name] ?? p.name,
          machineType: p.machineType ?? "",
          gpu: p.gpu && { type: p.gpu.gkeType, count: p.gpu.count },
          role: p.role,
          minNodes: p.minNodes,
          maxNodes: p.maxNodes,
          spot: p.spot,
          zones: [...p.zones],
          driver: p.gpu && gke.gpuDriverVersion,
        }))
      : [],
    operator: {
      version: config.kuberay.version,
      namespace: config.kuberay.namespace,
      crds: config.kuberay.crds.length,
    },
    kueue: {
      version: config.kueue.version,
      namespace: config.kueue.namespace,
      crds: config.kueue.crds.length,
      flavors: [
        CPU_FLAVOR,
        ...Object.entries(config.gpuTypes).map(([type, gkeType]) => `${type} (${gkeType})`),
      ],
    },
    teams: config.teams
      .map((t) => teamView(t, Object.keys(config.gpuTypes)))
      .sort((a, b) => a.name.localeCompare(b.name)),
    counts: rendered.counts,
  };
}

/**
 * What exists only once the program has rendered the configuration, so the view takes it from
 * the registered resources: how many of each type, a GKE pool's name (a hash of its node
 * settings and the node service account, components/nodePool.ts), and the cluster features the
 * cluster component sets whatever the configuration says (Dataplane V2, Workload Identity).
 */
function renderedFacts(resources: readonly RegisteredResource[]) {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  const cluster = resources.find((r) => r.type === TYPES.cluster)?.inputs;
  const pools = resources
    .filter((r) => r.type === TYPES.nodePool)
    .map((r) => [poolLabel(r.inputs), String(r.inputs.name)]);
  return {
    counts,
    poolNames: Object.fromEntries(pools) as Record<string, string>,
    cluster: {
      dataplaneV2: cluster?.datapathProvider === "ADVANCED_DATAPATH",
      workloadIdentity: !!cluster?.workloadIdentityConfig?.workloadPool,
    },
  };
}

const subject = (s: { kind: unknown; name: unknown }) => `${String(s.kind).toLowerCase()}:${String(s.name)}`;

function teamView(team: ResolvedTeam, gpuTypes: readonly string[]): TeamView {
  const nominal = formatAmounts(team.queue.nominal);
  return {
    name: team.name,
    description: team.description,
    quota: quotaHard(team, team.queue.nominal, { gpus: false }),
    gpuQuota: Object.fromEntries(gpuTypes.map((t) => [t, nominal.gpus[t] ?? "0"])),
    owners: team.owners.map(subject),
    // As the ray-users RoleBinding lists them: owners and contributors, each once.
    members: teamSubjects(team).map(subject),
    bucket: team.bucket,
    queue: queueView(team.name, team.queue),
    rayClusters: team.rayClusters.map(rayClusterView),
  };
}

/** The team's ClusterQueue (named after the team, render/kueue.ts) and its LocalQueue; GPUs by type. */
function queueView(team: string, q: ResolvedTeamQueue): QueueView {
  const gpuTypes = Object.keys(q.nominal.gpus);
  const amounts = (a: {
    cpu?: number;
    memoryBytes?: number;
    gpus: Readonly<Record<string, number | undefined>>;
  }) => {
    const out: Record<string, string> = {};
    if (a.cpu !== undefined) out.cpu = formatCpu(a.cpu);
    if (a.memoryBytes !== undefined) out.memory = canonicalMemory(a.memoryBytes);
    for (const t of gpuTypes) if (a.gpus[t] !== undefined) out[t] = String(a.gpus[t]);
    return out;
  };
  return {
    clusterQueue: team,
    cohort: COHORT,
    localQueues: [LOCAL_QUEUE],
    nominal: amounts(q.nominal),
    borrowing: amounts(q.borrowing),
    lending: amounts(q.lending),
    weight: String(q.fairSharingWeight),
  };
}

/** A group's pods: Ray container CPUs, memory and GPUs as rendered (requests = limits), its pool and that pool's GPU type. */
function groupView(g: ResolvedGroup, replicas: string, range: [number, number], gpus: number): GroupView {
  return {
    name: g.name,
    replicas,
    minReplicas: range[0],
    maxReplicas: range[1],
    cpus: formatCpu(g.cpu),
    gpus,
    gpuType: g.pool?.gpu?.type,
    memory: formatMemory(g.memoryBytes),
    pool: g.pool?.name,
  };
}

/** A RayCluster the way `rayctl describe` shows it: its Services' addresses and each group's pods. */
function rayClusterView(c: ResolvedRayCluster): RayClusterView {
  const [head, tools] = [
    `${headServiceName(c.name)}.${c.namespace}.svc`,
    `${toolsServiceName(c.name)}.${c.namespace}.svc`,
  ];
  const endpoints: Record<string, string> = {
    client: `ray://${head}:${RAY_PORTS.client}`,
    dashboard: `http://${head}:${RAY_PORTS.dashboard}`,
  };
  if (c.notebook) endpoints.notebook = `http://${tools}:${TOOL_PORTS.notebook}`;
  if (c.vscode) endpoints.vscode = `http://${tools}:${TOOL_PORTS.vscode}`;
  return {
    name: c.name,
    namespace: c.namespace,
    rayVersion: c.rayVersion,
    image: c.images.cpu,
    serviceAccount: c.serviceAccountName,
    autoscaling: !!c.autoscaling,
    endpoints,
    head: groupView({ ...c.head, name: "head" }, "1", [1, 1], 0),
    workers: c.workerGroups.map((g) =>
      groupView(
        g,
        g.minReplicas < g.maxReplicas
          ? `${g.minReplicas} (autoscaled to ${g.maxReplicas})`
          : String(g.replicas),
        [g.minReplicas, g.maxReplicas],
        g.gpu?.count ?? 0,
      ),
    ),
  };
}
