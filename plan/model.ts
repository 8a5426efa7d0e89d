/**
 * The platform as a reader sees it, rebuilt from the registered resources (so it works on a
 * plan JSON of any revision), plus the repo's catalog for GPU names and the network
 * component's Service range name: cluster, pools, operator, teams and their RayClusters.
 */
import { catalog } from "../config/catalog";
import { SERVICE_RANGE } from "../components/network";
import { ACCELERATOR_LABEL, BUCKET_TEAM_LABEL, DESCRIPTION_ANNOTATION, GPU_RESOURCE, POOL_LABEL, RAY_PORTS, ROLE_LABEL, TEAM_LABEL, TOOL_PORTS } from "../config/wire";
import { BINDINGS } from "../render/tenancy";
import { type RegisteredResource } from "./engine";

export const TYPES = {
  cluster: "gcp:container/cluster:Cluster",
  nodePool: "gcp:container/nodePool:NodePool",
  release: "kubernetes:helm.sh/v3:Release",
  crd: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
  namespace: "kubernetes:core/v1:Namespace",
  quota: "kubernetes:core/v1:ResourceQuota",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  bucket: "gcp:storage/bucket:Bucket",
  rayCluster: "kubernetes:ray.io/v1:RayCluster",
  repository: "gcp:artifactregistry/repository:Repository",
  subnetwork: "gcp:compute/subnetwork:Subnetwork",
  clusterQueue: "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue",
  localQueue: "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue",
  resourceFlavor: "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor",
} as const;

/** A pool as people name it: its `ray-platform/pool` label, not its hashed GKE name. */
export const poolLabel = (pool: Any): string => pool.nodeConfig?.labels?.[POOL_LABEL] ?? pool.name;

export interface PoolView {
  name: string;
  /** Name in GKE: the pool's name and a hash of what cannot change in place. */
  gkeName: string;
  machineType: string;
  gpu?: { type: string; count: number };
  /** system, ray-head or ray-worker (the `ray-platform/role` node label). */
  role?: string;
  minNodes: number;
  maxNodes: number;
  spot: boolean;
  zones: string[];
  driver?: string;
}

interface GroupView {
  name: string;
  replicas: string;
  /** Fewest and most pods of the group (the head: 1 and 1). */
  minReplicas: number;
  maxReplicas: number;
  cpus: string;
  gpus: number;
  gpuType?: string;
  memory: string;
  pool?: string;
}

export interface RayClusterView {
  name: string;
  namespace: string;
  rayVersion: string;
  image: string;
  serviceAccount?: string;
  autoscaling: boolean;
  endpoints: Record<string, string>;
  head: GroupView;
  workers: GroupView[];
}

/** A team's Kueue queue: resource (cpu, memory, GPU type) -> quantity. */
export interface QueueView {
  clusterQueue: string;
  cohort?: string;
  localQueues: string[];
  nominal: Record<string, string>;
  borrowing: Record<string, string>;
  lending: Record<string, string>;
  weight?: string;
}

export interface TeamView {
  name: string;
  description?: string;
  quota: Record<string, string>;
  gpuQuota: Record<string, string>;
  owners: string[];
  members: string[];
  bucket?: string;
  queue?: QueueView;
  rayClusters: RayClusterView[];
}

export interface PlatformView {
  /** gke mode: the cluster's Service range, which every team's Services share. */
  serviceRange?: string;
  cluster?: {
    name: string;
    location: string;
    zones: string[];
    channel?: string;
    imageStreaming: boolean;
    deletionProtection: boolean;
    privateNodes: boolean;
    dataplaneV2: boolean;
    workloadIdentity: boolean;
  };
  imageRepository?: string;
  pools: PoolView[];
  operator?: { version: string; namespace: string; crds: number };
  kueue?: { version: string; namespace: string; crds: number; flavors: string[] };
  teams: TeamView[];
  counts: Record<string, number>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registered inputs are untyped JSON.
type Any = Record<string, any>;

const byType = (rs: readonly RegisteredResource[], type: string) => rs.filter((r) => r.type === type);

export function platformView(resources: readonly RegisteredResource[]): PlatformView {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  const c = byType(resources, TYPES.cluster)[0]?.inputs as Any | undefined;
  const repo = byType(resources, TYPES.repository)[0]?.inputs as Any | undefined;
  const releases = byType(resources, TYPES.release).map((r) => r.inputs as Any);
  const release = releases.find((r) => r.chart === "kuberay-operator");
  const kueue = releases.find((r) => r.name === "kueue");
  const crds = (group: string) => byType(resources, TYPES.crd).filter((r) => (r.inputs as Any).spec?.group === group).length;
  return {
    cluster: c && {
      name: c.name,
      location: c.location,
      zones: c.nodeLocations ?? [],
      channel: c.releaseChannel?.channel,
      imageStreaming: !!c.nodePoolDefaults?.nodeConfigDefaults?.gcfsConfig?.enabled,
      deletionProtection: c.deletionProtection !== false,
      privateNodes: !!c.privateClusterConfig?.enablePrivateNodes,
      dataplaneV2: c.datapathProvider === "ADVANCED_DATAPATH",
      workloadIdentity: !!c.workloadIdentityConfig?.workloadPool,
    },
    imageRepository: repo && `${repo.location}-docker.pkg.dev/${repo.project}/${repo.repositoryId}`,
    pools: byType(resources, TYPES.nodePool).map((r) => poolView(r.inputs as Any)),
    operator: release && { version: release.version, namespace: release.namespace, crds: crds("ray.io") },
    kueue: kueue && {
      version: kueue.version,
      namespace: kueue.namespace,
      crds: crds("kueue.x-k8s.io"),
      flavors: byType(resources, TYPES.resourceFlavor).map((r) => {
        const f = r.inputs as Any;
        return `${f.metadata.name}${f.spec?.nodeLabels ? ` (${Object.values(f.spec.nodeLabels).join(", ")})` : ""}`;
      }),
    },
    teams: teamViews(resources),
    serviceRange: (byType(resources, TYPES.subnetwork)[0]?.inputs as Any | undefined)?.secondaryIpRanges?.find((r: Any) => r.rangeName === SERVICE_RANGE)?.ipCidrRange,
    counts,
  };
}

function poolView(p: Any): PoolView {
  const accel = p.nodeConfig?.guestAccelerators?.[0];
  return {
    name: poolLabel(p),
    gkeName: p.name,
    machineType: p.nodeConfig?.machineType,
    gpu: accel && { type: accel.type, count: accel.count },
    role: p.nodeConfig?.labels?.[ROLE_LABEL],
    minNodes: p.autoscaling?.totalMinNodeCount ?? 0,
    maxNodes: p.autoscaling?.totalMaxNodeCount ?? 0,
    spot: !!p.nodeConfig?.spot,
    zones: p.nodeLocations ?? [],
    driver: accel?.gpuDriverInstallationConfig?.gpuDriverVersion,
  };
}

function teamViews(resources: readonly RegisteredResource[]): TeamView[] {
  const teams = byType(resources, TYPES.namespace)
    .map((r) => r.inputs as Any)
    .filter((ns) => ns.metadata?.labels?.[TEAM_LABEL]);
  return teams
    .map((ns) => {
      const name: string = ns.metadata.name;
      const inNs = (type: string) => byType(resources, type).map((r) => r.inputs as Any).filter((o) => o.metadata?.namespace === name);
      const quotas = inNs(TYPES.quota);
      const main = quotas.find((q) => !q.spec?.scopeSelector)?.spec?.hard ?? {};
      const gpuQuota: Record<string, string> = {};
      for (const q of quotas.filter((q) => q.spec?.scopeSelector)) gpuQuota[String(q.metadata.name).replace(/^gpu-/, "")] = q.spec.hard[`requests.${GPU_RESOURCE}`];
      const bindings = inNs(TYPES.roleBinding);
      const subjects = (binding: string) =>
        (bindings.find((b) => b.metadata?.name === binding)?.subjects ?? []).map((s: Any) => `${String(s.kind).toLowerCase()}:${s.name}`);
      const bucket = byType(resources, TYPES.bucket).map((r) => r.inputs as Any).find((b) => b.labels?.[BUCKET_TEAM_LABEL] === name);
      // The ResourceQuota is the ceiling (quota plus borrowing); the team's quota is its queue's nominal quota.
      const queue = queueView(resources, name);
      const nominal = queue?.nominal ?? {};
      for (const type of Object.keys(gpuQuota)) gpuQuota[type] = nominal[type] ?? gpuQuota[type];
      return {
        name,
        description: ns.metadata.annotations?.[DESCRIPTION_ANNOTATION],
        quota: { ...main, "requests.cpu": nominal.cpu ?? main["requests.cpu"], "requests.memory": nominal.memory ?? main["requests.memory"] },
        gpuQuota,
        owners: subjects(BINDINGS.owners),
        members: subjects(BINDINGS.rayUsers),
        bucket: bucket?.name,
        queue,
        rayClusters: inNs(TYPES.rayCluster).map(rayClusterView),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The team's ClusterQueue (labelled with the team) and the LocalQueues of its namespace. */
function queueView(resources: readonly RegisteredResource[], team: string): QueueView | undefined {
  const cq = byType(resources, TYPES.clusterQueue).map((r) => r.inputs as Any).find((q) => q.metadata?.labels?.[TEAM_LABEL] === team);
  if (!cq) return undefined;
  const per = (field: string) => {
    const out: Record<string, string> = {};
    for (const group of cq.spec?.resourceGroups ?? []) {
      for (const flavor of group.flavors ?? []) {
        for (const r of flavor.resources ?? []) {
          if (r[field] !== undefined) out[r.name === GPU_RESOURCE ? flavor.name : r.name] = String(r[field]);
        }
      }
    }
    return out;
  };
  return {
    clusterQueue: cq.metadata.name,
    cohort: cq.spec?.cohortName,
    localQueues: byType(resources, TYPES.localQueue).map((r) => r.inputs as Any).filter((q) => q.metadata?.namespace === team).map((q) => q.metadata.name),
    nominal: per("nominalQuota"),
    borrowing: per("borrowingLimit"),
    lending: per("lendingLimit"),
    weight: cq.spec?.fairSharing?.weight,
  };
}

function groupView(name: string, template: Any, replicas: string, range: [number, number], gpuTypes: (a: string) => string | undefined): GroupView {
  const ray = template?.spec?.containers?.[0] ?? {};
  const limits = ray.resources?.limits ?? {};
  const accel = template?.spec?.nodeSelector?.[ACCELERATOR_LABEL];
  return {
    name,
    replicas,
    minReplicas: range[0],
    maxReplicas: range[1],
    cpus: String(limits.cpu ?? "-"),
    gpus: Number(limits[GPU_RESOURCE] ?? 0),
    gpuType: accel ? gpuTypes(accel) ?? accel : undefined,
    memory: String(limits.memory ?? "-"),
    pool: template?.spec?.nodeSelector?.[POOL_LABEL],
  };
}

export function rayClusterView(rc: Any): RayClusterView {
  const name: string = rc.metadata.name;
  const ns: string = rc.metadata.namespace;
  const head = rc.spec.headGroupSpec;
  const svc = `${name}-head-svc.${ns}.svc`;
  const containers: Any[] = head.template.spec.containers;
  const endpoints: Record<string, string> = { client: `ray://${svc}:${RAY_PORTS.client}`, dashboard: `http://${svc}:${RAY_PORTS.dashboard}` };
  if (containers.some((c) => c.name === "notebook")) endpoints.notebook = `http://${name}-tools.${ns}.svc:${TOOL_PORTS.notebook}`;
  if (containers.some((c) => c.name === "vscode")) endpoints.vscode = `http://${name}-tools.${ns}.svc:${TOOL_PORTS.vscode}`;
  const gpuName = (a: string) => Object.entries(catalog().accelerators).find(([, acc]) => acc.gkeType === a)?.[0];
  return {
    name,
    namespace: ns,
    rayVersion: rc.spec.rayVersion,
    image: containers[0].image,
    serviceAccount: head.template.spec.serviceAccountName,
    autoscaling: !!rc.spec.enableInTreeAutoscaling,
    endpoints,
    head: groupView("head", head.template, "1", [1, 1], gpuName),
    workers: (rc.spec.workerGroupSpecs ?? []).map((g: Any) =>
      groupView(
        g.groupName,
        g.template,
        g.minReplicas < g.maxReplicas ? `${g.minReplicas} (autoscaled to ${g.maxReplicas})` : String(g.replicas),
        [g.minReplicas ?? g.replicas ?? 0, g.maxReplicas ?? g.replicas ?? 0],
        gpuName,
      ),
    ),
  };
}
