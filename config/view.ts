/**
 * The platform view's shapes: a revision's validated configuration as a reader sees it, made by
 * plan/model.ts and carried in a plan's JSON. Types only, importing nothing, so the plan and the
 * costs (cost/) both read them without cost/ depending on plan/.
 */

export interface PoolView {
  name: string;
  /** Name in GKE: the pool's name and a hash of what cannot change in place. */
  gkeName: string;
  machineType: string;
  /** GKE accelerator type and GPUs per node. */
  gpu?: { type: string; count: number };
  /** system, ray-head or ray-worker (the `ray-platform/role` node label). */
  role?: string;
  minNodes: number;
  maxNodes: number;
  spot: boolean;
  zones: string[];
  driver?: string;
}

export interface GroupView {
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
  weight: string;
}

export interface TeamView {
  name: string;
  description?: string;
  /** ResourceQuota keys: requests.cpu and requests.memory are the queue's nominal quota (the ResourceQuota holds the ceiling). */
  quota: Record<string, string>;
  /** GPU type -> nominal quota, for every type the pools offer. */
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
  /** Registered resources per type. */
  counts: Record<string, number>;
}
