import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { type GkeSettings } from "../config/load";
import { type NodePoolPlan } from "../config/nodePools";

export interface NodePoolArgs {
  readonly pool: NodePoolPlan;
  readonly gke: GkeSettings;
  /** The cluster's id (projects/<p>/locations/<l>/clusters/<name>). */
  readonly cluster: pulumi.Input<string>;
  readonly serviceAccountEmail: pulumi.Input<string>;
}

const TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE" } as const;

/**
 * One GKE node pool from `ray-platform:nodePools`.
 *
 * Changing the machine type, GPU type or count, driver version, taints, disk, spot or
 * service account REPLACES the pool: GKE drains and deletes its nodes and creates new ones
 * (`npm run plan -- --diff` flags these). Because the pool keeps its name, the old pool must
 * go first (`deleteBeforeReplace`), so pods on it are rescheduled when the new one is up.
 * Labels and autoscaling limits update in place. Node counts belong to the autoscaler.
 */
export class NodePool extends pulumi.ComponentResource {
  readonly nodePool: gcp.container.NodePool;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:gke:NodePool", name, {}, opts);
    const { pool, gke } = args;
    const gpu = pool.gpu;
    this.nodePool = new gcp.container.NodePool(
      name,
      {
        name: pool.name,
        project: gke.project,
        location: gke.clusterLocation,
        cluster: args.cluster,
        nodeLocations: [...pool.zones],
        // Counts are for the whole pool, not per zone; GPU pools take capacity in any zone that has it.
        autoscaling: { totalMinNodeCount: pool.minNodes, totalMaxNodeCount: pool.maxNodes, locationPolicy: gpu ? "ANY" : "BALANCED" },
        initialNodeCount: pool.minNodes === 0 ? 0 : Math.ceil(pool.minNodes / pool.zones.length),
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
          machineType: pool.machineType,
          imageType: "COS_CONTAINERD",
          diskSizeGb: pool.diskSizeGb,
          diskType: pool.diskType,
          spot: pool.spot,
          serviceAccount: args.serviceAccountEmail,
          oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
          labels: { ...pool.nodeLabels },
          taints: pool.taints.map((t) => ({ key: t.key, value: t.value, effect: TAINT_EFFECT[t.effect] })),
          guestAccelerators: gpu
            ? [{ type: gpu.gkeType, count: gpu.count, gpuDriverInstallationConfig: { gpuDriverVersion: gke.gpuDriverVersion } }]
            : undefined,
          gcfsConfig: { enabled: gke.imageStreaming },
          gvnic: { enabled: true },
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          metadata: { "disable-legacy-endpoints": "true" },
          resourceLabels: { "ray-platform-pool": pool.name },
        },
      },
      { parent: this, deleteBeforeReplace: true, ignoreChanges: ["initialNodeCount", "nodeCount"] },
    );
    this.registerOutputs({ name: this.nodePool.name });
  }
}
