import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ResolvedTeam } from "../config/teams";
import { clusterQueue, localQueue } from "../render/kueue";
import { type KubernetesObject } from "./leanResources";

export interface TeamQueueArgs {
  readonly team: ResolvedTeam;
  /**
   * The provider that adopts existing objects (upsertExistingObjects): the queues are retained
   * when a team file goes, so restoring the file must take them back (docs/operations.md: Restore a team).
   */
  readonly adoptingProvider: k8s.Provider;
  /** The team's namespace (for the LocalQueue). */
  readonly namespace: KubernetesObject;
  /** Kueue's release (its webhooks validate queues) and the flavors the ClusterQueue names. */
  readonly kueue: pulumi.Input<pulumi.Resource>[];
}

/**
 * A team's place in Kueue: its ClusterQueue in the shared cohort and the LocalQueue of its
 * namespace, both retained when the team file goes. Named after the team only, so adding or removing a team touches no other
 * team's queues.
 */
export class TeamQueue extends pulumi.ComponentResource {
  readonly clusterQueue: k8s.apiextensions.CustomResource;
  readonly localQueue: k8s.apiextensions.CustomResource;

  constructor(name: string, args: TeamQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:kueue:TeamQueue", name, {}, opts);
    // Retained like the namespace's quotas: Kueue keeps a ClusterQueue with admitted workloads
    // until they end (its resource-in-use finalizer), and clusters left in a removed team's
    // namespace stay queued and bounded (docs/operations.md: Decommission a team).
    const child = { parent: this, provider: args.adoptingProvider, retainOnDelete: true };
    this.clusterQueue = new k8s.apiextensions.CustomResource(
      `${name}-clusterqueue`,
      clusterQueue(args.team) as k8s.apiextensions.CustomResourceArgs,
      {
        ...child,
        dependsOn: args.kueue,
      },
    );
    this.localQueue = new k8s.apiextensions.CustomResource(
      `${name}-localqueue`,
      localQueue(args.team) as k8s.apiextensions.CustomResourceArgs,
      {
        ...child,
        dependsOn: [...args.kueue, args.namespace, this.clusterQueue],
      },
    );
    this.registerOutputs({ clusterQueue: args.team.name });
  }
}
