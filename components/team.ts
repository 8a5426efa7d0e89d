import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ResolvedTeam } from "../config/teams";
import { BUCKET_TEAM_LABEL } from "../config/wire";
import { factsReaderBinding, teamFactsConfigMap } from "../render/platformFacts";
import * as render from "../render/tenancy";
import { RayCluster } from "./rayCluster";
import {
  Bucket,
  BucketIAMMember,
  ConfigMap,
  Namespace,
  NetworkPolicy,
  ResourceQuota,
  RoleBinding,
  ServiceAccount,
  type KubernetesObject,
} from "./leanResources";

export interface TeamArgs {
  readonly team: ResolvedTeam;
  readonly tenancy: render.TenancyContext;
  readonly provider: k8s.Provider;
  /** The same cluster with upsert on create: takes back the objects a removed team left (clusterProviders). */
  readonly adoptingProvider: k8s.Provider;
  /**
   * gke mode: where the team's bucket lives, how its pods are named in IAM, and whether the
   * bucket exists already (kept from a removed team file: imported, not created).
   */
  readonly gcp?: {
    readonly project: string;
    readonly region: string;
    readonly projectNumber: pulumi.Input<string>;
    readonly bucketExists: boolean;
  };
  /** The shared playground namespace and its limits, where the team's members get a binding (absent for the playground itself). */
  readonly playground?: {
    readonly namespace: KubernetesObject;
    readonly limits: readonly pulumi.Resource[];
  };
  /**
   * Cluster-wide rules that must hold before members get access (the admission bindings): the
   * namespace waits for them, and everything of the team waits for the namespace.
   */
  readonly namespaceDependsOn?: readonly pulumi.Resource[];
  readonly tutorials: Readonly<Record<string, string>>;
  /** Where the platform's facts for the client live, and their reader Role (the team's members get it). */
  readonly facts: { readonly namespace: string; readonly readerRole: pulumi.Resource };
  /** What RayClusters need before they are created (the RayCluster CRD, GPU PriorityClasses). */
  readonly rayClusterDependsOn: pulumi.Input<pulumi.Resource>[];
  /** Former "<team>-<cluster>" names two clusters of the platform share: they get no alias. */
  readonly ambiguousLegacyNames?: ReadonlySet<string>;
}

/**
 * One team from its team file: a namespace with quotas, defaults, RBAC, network isolation,
 * a service account with Workload Identity, an optional bucket, and its RayClusters. Every
 * resource is a child named after the team, so teams never touch each other's resources.
 */
export class Team extends pulumi.ComponentResource {
  readonly namespace: KubernetesObject;
  readonly serviceAccount: KubernetesObject;
  readonly bucket?: Bucket;
  readonly rayClusters: Record<string, RayCluster>;
  /** What bounds the namespace (quotas, defaults, network policies): access waits for it. */
  readonly limits: readonly pulumi.Resource[];

  constructor(name: string, args: TeamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:tenancy:Team", name, {}, opts);
    const { team, provider } = args;
    const child = { parent: this, provider };

    // Retained: removing a team file must not delete a namespace full of work (docs/operations.md: Decommission a team).
    // Retained objects go through the adopting provider: restoring the team file takes them back.
    const retained = { parent: this, provider: args.adoptingProvider, retainOnDelete: true };
    // Once, on the namespace, rather than on every binding and cluster of the team: the engine
    // orders by the whole graph, and a thousand teams then send 24,000 dependencies fewer.
    this.namespace = new Namespace(`${name}-namespace`, render.namespace(team), {
      ...retained,
      dependsOn: [...(args.namespaceDependsOn ?? [])],
    });
    const inNamespace = { ...child, dependsOn: [this.namespace] };
    // What bounds and isolates the namespace stays with it when the team file goes, so that
    // leftover workloads keep their limits; access (RBAC) and Ray clusters go.
    const kept = { ...retained, dependsOn: [this.namespace] };

    // Limits before access: members can act only once the namespace's quotas, defaults and
    // network policies exist, and the cluster's admission rules (through the namespace), on the
    // first deploy of a team or platform.
    const limits: pulumi.Resource[] = [];
    limits.push(new ResourceQuota(`${name}-quota`, render.resourceQuota(team), kept));
    for (const { type, quota } of render.gpuQuotas(team, args.tenancy)) {
      limits.push(new ResourceQuota(`${name}-quota-gpu-${type}`, quota, kept));
    }
    limits.push(new k8s.core.v1.LimitRange(`${name}-defaults`, render.limitRange(team), kept));
    for (const [policy, spec] of Object.entries(render.networkPolicies(team, args.tenancy))) {
      limits.push(
        new NetworkPolicy(`${name}-${policy}`, spec, policy === "default-deny-ingress" ? kept : inNamespace),
      );
    }
    this.limits = limits;
    const access = { ...child, dependsOn: [this.namespace, ...limits] };
    new RoleBinding(`${name}-owners`, render.ownersBinding(team), access);
    new RoleBinding(`${name}-ray-users`, render.rayUsersBinding(team), access);
    if (args.playground) {
      // The playground's own limits come with its namespace's Team; this team's members get in once both exist.
      new RoleBinding(`${name}-playground`, render.playgroundBinding(team), {
        ...child,
        dependsOn: [args.playground.namespace, ...args.playground.limits, ...limits],
      });
    }
    // The client (rayctl): the team's facts, and read access to the platform's.
    new ConfigMap(`${name}-client-facts`, teamFactsConfigMap(team), inNamespace);
    new RoleBinding(`${name}-facts-reader`, factsReaderBinding(team, args.facts.namespace), {
      ...child,
      dependsOn: [args.facts.readerRole],
    });
    this.serviceAccount = new ServiceAccount(`${name}-ray-sa`, render.serviceAccount(team), inNamespace);

    let bucketAccess: BucketIAMMember | undefined;
    if (team.bucket && args.gcp) {
      const { project, region, projectNumber, bucketExists } = args.gcp;
      // Retained and never force-destroyed: data outlives the team file.
      this.bucket = new Bucket(
        `${name}-bucket`,
        {
          name: team.bucket,
          project,
          location: region.toUpperCase(),
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          forceDestroy: false,
          labels: { [BUCKET_TEAM_LABEL]: team.name },
        },
        // A kept bucket is imported (its ID is its name): a create would fail on the taken name.
        // The engine imports only while the state has no such bucket (pulumi
        // pkg/resource/deploy/step_generator.go:1113), so the option is inert once it is managed.
        { parent: this, retainOnDelete: true, import: bucketExists ? team.bucket : undefined },
      );
      bucketAccess = new BucketIAMMember(
        `${name}-bucket-ray-pods`,
        {
          bucket: this.bucket.name,
          role: "roles/storage.objectUser",
          member: pulumi
            .output(projectNumber)
            .apply((n) => render.workloadIdentityPrincipal(n, project, team.name, team.serviceAccountName)),
        },
        { parent: this },
      );
    }

    // Cluster names are unique within the team; the component name keys on them, never on list
    // order, and joins team and cluster with "/", which neither name can hold: team "a" with
    // cluster "b-c" and team "a-b" with cluster "c" would otherwise share URNs. The alias keeps
    // stacks deployed under the old "-" name (children follow: their names start with it),
    // unless another cluster shares that name: two aliases to one URN stop the engine.
    // Pods mount the bucket at start: its permission must exist before the first one. The
    // namespace's limits first, as for access: a RayCluster counts against the quota, which
    // refuses what it counts until its status is known.
    const rayDeps = [
      this.namespace,
      this.serviceAccount,
      ...limits,
      ...(bucketAccess ? [bucketAccess] : []),
      ...args.rayClusterDependsOn,
    ];
    this.rayClusters = Object.fromEntries(
      team.rayClusters.map((cluster) => [
        cluster.name,
        new RayCluster(
          `${name}/${cluster.name}`,
          { cluster, tutorials: args.tutorials, provider },
          {
            parent: this,
            dependsOn: rayDeps,
            aliases: legacyAlias(`${name}-${cluster.name}`, args.ambiguousLegacyNames),
          },
        ),
      ]),
    );
    this.registerOutputs({ namespace: this.namespace.metadata.name });
  }
}

function legacyAlias(name: string, ambiguous: ReadonlySet<string> | undefined): pulumi.Alias[] {
  return ambiguous?.has(name) ? [] : [{ name }];
}
