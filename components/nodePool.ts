import { createHash } from "node:crypto";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { type GkeSettings } from "../config/load";
import { type ResolvedPool } from "../config/nodePools";
import { GKE_TAINT_EFFECT, POOL_RESOURCE_LABEL } from "../config/wire";

export interface NodePoolArgs {
  readonly pool: ResolvedPool;
  readonly gke: GkeSettings;
  /** The cluster's id (projects/<p>/locations/<l>/clusters/<name>). */
  readonly cluster: pulumi.Input<string>;
  readonly serviceAccountEmail: pulumi.Input<string>;
  /** The node service account's id, known before it exists: part of what names the pool. */
  readonly serviceAccountId: string;
}

/**
 * The node settings that name the pool: those GKE cannot change in place (accelerators,
 * service account, scopes, spot, metadata, shielded nodes), and those it changes by
 * recreating every node anyway (machine type, disk, image, taints). A change of any of them
 * brings up a new pool beside the old one (blue/green) rather than rolling nodes in place.
 */
function immutableNodeConfig(pool: ResolvedPool, gke: GkeSettings) {
  return {
    machineType: pool.machineType,
    imageType: "COS_CONTAINERD",
    diskSizeGb: pool.diskSizeGb,
    diskType: pool.diskType,
    spot: pool.spot,
    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
    taints: pool.taints.map((t) => ({ key: t.key, value: t.value, effect: GKE_TAINT_EFFECT[t.effect] })),
    guestAccelerators: pool.gpu
      ? [
          {
            type: pool.gpu.gkeType,
            count: pool.gpu.count,
            gpuDriverInstallationConfig: { gpuDriverVersion: gke.gpuDriverVersion },
          },
        ]
      : undefined,
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    metadata: { "disable-legacy-endpoints": "true" },
  };
}

/**
 * The pool's GKE name: its configured name plus a hash of what cannot change in place. A
 * change of those gives a new name, so Pulumi creates the new pool before deleting the old
 * one and pods move over instead of waiting for nodes; a fixed name would need
 * deleteBeforeReplace and leave the pool's pods nowhere to go meanwhile.
 */
export function poolGkeName(pool: ResolvedPool, gke: GkeSettings, serviceAccountId: string): string {
  const shape = JSON.stringify({ ...immutableNodeConfig(pool, gke), serviceAccountId });
  return `${pool.name}-${createHash("sha256").update(shape).digest("hex").slice(0, 6)}`;
}

/**
 * One GKE node pool from `ray-platform:nodePools`.
 *
 * Changing the machine type, GPU type or count, driver version, taints, disk, spot or
 * service account REPLACES the pool (`npm run plan -- --diff` flags it): the new pool, under
 * a new name, comes up before GKE drains and deletes the old one. Labels, zones and
 * autoscaling limits update in place. Node counts belong to the autoscaler.
 */
export class NodePool extends pulumi.ComponentResource {
  readonly nodePool: gcp.container.NodePool;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:gke:NodePool", name, {}, opts);
    const { pool, gke } = args;
    this.nodePool = new gcp.container.NodePool(
      name,
      {
        name: poolGkeName(pool, gke, args.serviceAccountId),
        project: gke.project,
        location: gke.clusterLocation,
        cluster: args.cluster,
        nodeLocations: [...pool.zones],
        // Counts are for the whole pool, not per zone; GPU pools take capacity in any zone that has it.
        autoscaling: {
          totalMinNodeCount: pool.minNodes,
          totalMaxNodeCount: pool.maxNodes,
          locationPolicy: pool.gpu ? "ANY" : "BALANCED",
        },
        initialNodeCount: pool.minNodes === 0 ? 0 : Math.ceil(pool.minNodes / pool.zones.length),
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
          ...immutableNodeConfig(pool, gke),
          serviceAccount: args.serviceAccountEmail,
          // Pods find the pool by these labels, never by its GKE name.
          labels: { ...pool.nodeLabels },
          resourceLabels: { [POOL_RESOURCE_LABEL]: pool.name },
          gcfsConfig: { enabled: gke.imageStreaming },
          gvnic: { enabled: true },
          workloadMetadataConfig: { mode: "GKE_METADATA" },
        },
      },
      { parent: this, ignoreChanges: ["initialNodeCount", "nodeCount"] },
    );
    this.registerOutputs({ name: this.nodePool.name });
  }
}
