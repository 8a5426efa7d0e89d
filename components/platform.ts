import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type PlatformConfig } from "../config/load";
import { PLAYGROUND, teamBucketPrefix, type ResolvedTeam } from "../config/teams";
import { GkeCluster } from "./gkeCluster";
import { clusterProviders } from "./kubeconfig";
import { KubeRayOperator } from "./kuberayOperator";
import { rayClusterFields } from "../render/rayClusterAdmission";
import { Kueue, type KueueArgs } from "./kueue";
import { PlatformFacts } from "./platformFacts";
import { Team } from "./team";
import { TeamQueue } from "./teamQueue";
import { TenancyBase } from "./tenancyBase";

/**
 * The whole platform from a validated configuration: the GKE layer (gke mode) or a provider
 * for an existing cluster, the KubeRay operator, the cluster-wide tenancy pieces and one
 * Team per team file (Platform.create). Teams depend on the provider and CRDs, never on each other.
 */
export class Platform extends pulumi.ComponentResource {
  readonly gke?: GkeCluster;
  readonly provider: k8s.Provider;
  private readonly adoptingProvider: k8s.Provider;
  readonly operator: KubeRayOperator;
  readonly kueue: Kueue;
  readonly teams: Record<string, Team>;
  private readonly newTeam: (
    team: ResolvedTeam,
    existingBuckets: ReadonlySet<string>,
    playground?: Team,
  ) => Team;
  private readonly gcpProject?: string;

  /** The platform with every team of `cfg`. */
  static async create(
    name: string,
    cfg: PlatformConfig,
    opts?: pulumi.ComponentResourceOptions,
  ): Promise<Platform> {
    const platform = new Platform(name, cfg, opts);
    await platform.addTeams(cfg.teams);
    return platform;
  }

  private constructor(name: string, cfg: PlatformConfig, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:index:Platform", name, {}, opts);
    const parent = { parent: this };
    // The engine logs it; nothing waits on that.
    for (const note of cfg.notes) void pulumi.log.info(note, this);

    const systemPool = cfg.pools.find((p) => p.role === "system");
    let gcpContext: { project: string; region: string; projectNumber: pulumi.Output<string> } | undefined;
    // gke mode: the operators wait for the system pool, and Kueue's webhook needs a firewall rule.
    let systemNodes: pulumi.Resource[] = [];
    let kueueGke: KueueArgs["gke"];
    if (cfg.mode === "gke") {
      const gke = new GkeCluster("gke", { gke: cfg.gke, pools: cfg.pools }, parent);
      this.gke = gke;
      this.provider = gke.provider;
      this.adoptingProvider = gke.adoptingProvider;
      const project = gcp.organizations.getProjectOutput({ projectId: cfg.gke.project }, parent);
      this.gcpProject = cfg.gke.project;
      gcpContext = {
        project: cfg.gke.project,
        region: cfg.gke.region,
        projectNumber: project.apply((p) => p.number),
      };
      // GkeCluster makes a NodePool of each of cfg.pools, the system pool among them.
      const systemNodePool = systemPool && gke.nodePools[systemPool.name];
      if (systemPool && !systemNodePool)
        throw new Error(
          `GkeCluster made no node pool for the system pool ${systemPool.name}; this is a bug in components/gkeCluster.ts, please report it.`,
        );
      systemNodes = systemNodePool ? [systemNodePool] : [];
      kueueGke = {
        project: cfg.gke.project,
        network: gke.network.network.id,
        masterCidr: cfg.gke.masterIpv4CidrBlock,
        nodeServiceAccount: gke.nodeServiceAccount.email,
      };
    } else {
      ({ provider: this.provider, adopting: this.adoptingProvider } = clusterProviders(
        "existing-cluster",
        // The kubeconfig comes from the usual place (KUBECONFIG or ~/.kube/config).
        {
          context: cfg.kubeconfigContext,
          clusterIdentifier: `context/${cfg.kubeconfigContext}`,
          enableServerSideApply: true,
        },
        parent,
      ));
    }

    const managedPrometheus = cfg.mode === "gke";
    this.operator = new KubeRayOperator(
      "kuberay",
      {
        kuberay: cfg.kuberay,
        systemPool,
        managedPrometheus,
        provider: this.provider,
        adoptingProvider: this.adoptingProvider,
        dependsOn: systemNodes,
      },
      parent,
    );
    this.kueue = new Kueue(
      "kueue",
      {
        kueue: cfg.kueue,
        gpuTypes: cfg.gpuTypes,
        systemPool,
        provider: this.provider,
        adoptingProvider: this.adoptingProvider,
        // Kueue's RayCluster controller starts at once with the KubeRay CRDs in place; without them it
        // only waits for them (v0.19.2 pkg/controller/jobframework/setup.go:86-101, WaitForAPI).
        dependsOn: [...Object.values(this.operator.crds), ...systemNodes],
        gke: kueueGke,
      },
      parent,
    );
    const kueueReady = [this.kueue.release, ...Object.values(this.kueue.flavors)];
    const admission = {
      bucketPrefix: cfg.mode === "gke" ? teamBucketPrefix(cfg.gke.project) : undefined,
      rayCluster: rayClusterFields(cfg.kuberay.crds),
    };
    // What the client (rayctl) resolves clusters from; readable by team members only.
    const facts = new PlatformFacts(
      "facts",
      { cfg, namespace: this.operator.namespace, provider: this.provider },
      parent,
    );
    const tenancy = new TenancyBase(
      "tenancy",
      { gpuTypes: cfg.gpuTypes, provider: this.provider, admission },
      parent,
    );
    const tenancyContext = {
      gpuTypes: cfg.gpuTypes,
      operatorNamespace: cfg.kuberay.namespace,
      monitoringNamespace: cfg.monitoringNamespace,
    };
    const rayClusterCrd = this.operator.crds.rayclusters;
    if (!rayClusterCrd)
      throw new Error(
        `the pinned KubeRay ${cfg.kuberay.version} CRDs have no rayclusters.ray.io; run \`npm run kuberay:pin -- ${cfg.kuberay.version}\` again`,
      );
    // Kueue's webhooks default and validate every RayCluster in a team namespace.
    const rayClusterDependsOn = [
      rayClusterCrd,
      ...Object.values(tenancy.priorityClasses),
      this.kueue.release,
    ];

    // Names RayClusters had before "<team>/<cluster>" (see Team): where two pairs joined to one
    // (team a, cluster b-c; team a-b, cluster c), at most one existed and no alias can say which.
    const legacy = cfg.teams.flatMap((t) => t.rayClusters.map((c) => `${t.name}-${c.name}`));
    const ambiguousLegacyNames = new Set(legacy.filter((n, i) => legacy.indexOf(n) !== i));
    this.teams = {};
    this.newTeam = (team, existingBuckets, playground) => {
      const created = new Team(
        team.name,
        {
          team,
          tenancy: tenancyContext,
          provider: this.provider,
          adoptingProvider: this.adoptingProvider,
          gcp: gcpContext && {
            ...gcpContext,
            bucketExists: !!team.bucket && existingBuckets.has(team.bucket),
          },
          playground: playground && { namespace: playground.namespace, limits: playground.limits },
          namespaceDependsOn: tenancy.admissionBindings,
          tutorials: cfg.tutorials,
          facts: { namespace: cfg.kuberay.namespace, readerRole: facts.readerRole },
          rayClusterDependsOn,
          ambiguousLegacyNames,
        },
        parent,
      );
      new TeamQueue(
        `${team.name}-queue`,
        { team, adoptingProvider: this.adoptingProvider, namespace: created.namespace, kueue: kueueReady },
        { parent: created },
      );
      return created;
    };
    this.registerOutputs({});
  }

  /**
   * One Team per team file, the playground first (every other team adds its members'
   * binding there). After each team the program yields, so that team's registrations go out
   * before the next: a thousand teams registered in one go hold every request in memory at
   * once (3.2 GiB in the benchmark, 0.7 GiB this way, and faster).
   */
  private async addTeams(teams: readonly ResolvedTeam[]): Promise<void> {
    const existingBuckets = await this.existingBuckets(teams);
    const playgroundTeam = teams.find((t) => t.name === PLAYGROUND);
    const playground = playgroundTeam
      ? (this.teams[PLAYGROUND] = this.newTeam(playgroundTeam, existingBuckets))
      : undefined;
    for (const team of teams.filter((t) => t.name !== PLAYGROUND)) {
      this.teams[team.name] = this.newTeam(team, existingBuckets, playground);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * The teams' buckets that exist already, typically kept from a removed team file: a create
   * would fail (bucket names are global), so Team imports them, data and all. One lookup for
   * every team: the project's buckets under the team bucket prefix.
   */
  private async existingBuckets(teams: readonly ResolvedTeam[]): Promise<ReadonlySet<string>> {
    const wanted = new Set(teams.flatMap((t) => (t.bucket ? [t.bucket] : [])));
    if (!this.gcpProject || wanted.size === 0) return new Set();
    const { buckets } = await gcp.storage.getBuckets(
      { project: this.gcpProject, prefix: teamBucketPrefix(this.gcpProject) },
      { parent: this },
    );
    return new Set(buckets.map((b) => b.name).filter((n) => wanted.has(n)));
  }
}
