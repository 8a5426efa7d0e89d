/**
 * The SDK: the seed's create_cluster / get_cluster / scale_worker_group / delete in
 * TypeScript, on the platform's rules. The CLI (cli.ts) is a thin layer over it.
 *
 *   const platform = RayPlatform.connect();
 *   const cluster = await platform.createCluster({ name: "my-cluster", namespace: "ray-playground", gpusPerWorker: 1, awaitReady: true });
 *   console.log(cluster.headIp, cluster.numWorkers);
 */
import { randomBytes } from "node:crypto";
import { load as loadYaml } from "js-yaml";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bytesFromGi, parseQuantity } from "../../config/quantity";
import { clusterDemand, type Demand, SIDECARS } from "../../config/rayClusters";
import {
  ACCELERATOR_LABEL,
  CLIENT_MANAGER,
  GPU_RESOURCE,
  KUBERAY_LABELS,
  KUBERAY_NAMESPACE,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  POOL_LABEL,
  RAY_PORTS,
  TOOL_PORTS,
} from "../../config/wire";
import { rayClusterHourlyOn } from "../../cost/costs";
import {
  FACTS,
  factsSchema,
  type PlatformFacts,
  type TeamFacts,
  teamFactsSchema,
} from "../../render/platformFacts";
import { type PodTemplateSpec } from "../../render/kuberay-types.generated";
import { headServiceName, toolsServiceName } from "../../render/rayCluster";
import { CLUSTER_TOKEN_KEY, newClusterToken } from "../../render/clusterAccess";
import {
  type ClusterObjects,
  type ClusterOptions,
  resolveClusterFromOptions,
  type ClusterRequest,
  renderClusterObjects,
} from "./clusterSpec";
import { explainKubeError, InputError, KubeError, RefusedError } from "./errors";
import { KubeApi, loadKubeconfig, paths, type StoredRayCluster } from "./kube";
import { Job, type JobObjects, MAX_JOB_NAME, readWorkingDir, renderJob, type StoredRayJob } from "./jobs";
import {
  clusterPods,
  type LogOptions,
  rayNode,
  type RayNode,
  streamLogs,
  workerGroupStatus,
  type WorkerGroupStatus,
} from "./nodes";
import { checkQuota, type QuotaDimension } from "./quota";
import { awaitReady, type WaitOptions } from "./wait";

export { InputError } from "./clusterSpec";
export type { ClusterOptions } from "./clusterSpec";
export { ConnectionError, KubeError, RefusedError, TimeoutError } from "./errors";
export type { WaitOptions } from "./wait";
export type { LogOptions, RayNode, WorkerGroupStatus } from "./nodes";
export { Job } from "./jobs";

/** Where the program publishes its facts unless told otherwise (ray-platform:kuberay.namespace). */
export const DEFAULT_PLATFORM_NAMESPACE = KUBERAY_NAMESPACE;

export interface ConnectOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  /** The operator namespace, where the facts are (default kuberay-system). */
  readonly platformNamespace?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** A job: what to run, where, and (without `cluster`) the shape of the cluster made for it. */
export interface SubmitJobOptions extends Omit<
  ClusterOptions,
  "name" | "minWorkers" | "maxWorkers" | "notebook" | "vscodeServer" | "withTutorials"
> {
  /** Default: the working directory's name and a random suffix. */
  readonly name?: string;
  /** argv of the entrypoint: ["python", "train.py"]. */
  readonly entrypoint: readonly string[];
  /** A local directory sent with the job (at most 1 MB), its working directory on the cluster. */
  readonly workingDir?: string;
  /** Run on this existing cluster instead of one made for the job. */
  readonly cluster?: string;
  /** How long the job's cluster and record stay after it ends (default 600 s). */
  readonly ttlSeconds?: number;
  /** Fail the job after this long running. */
  readonly deadlineSeconds?: number;
  readonly dryRun?: "client" | "server";
}

export interface CreateOptions extends ClusterOptions, WaitOptions {
  /** Wait until the head and the minimum workers are ready (the seed's await_ready). */
  readonly awaitReady?: boolean;
  /** "client": render only; "server": the API server checks and admits, nothing is stored. */
  readonly dryRun?: "client" | "server";
}

/** What a dry run would create. */
export interface DryRun {
  readonly dryRun: "client" | "server";
  readonly objects: Record<string, any>[];
}

/** Who made a cluster: the program (a team file), this client, or something else. */
export type Owner = { kind: "team-file"; file: string } | { kind: "rayctl" } | { kind: "other" };

export class RayPlatform {
  private factsCache?: Promise<PlatformFacts>;
  private readonly teamCache = new Map<string, Promise<TeamFacts>>();

  constructor(
    readonly api: KubeApi,
    readonly platformNamespace = DEFAULT_PLATFORM_NAMESPACE,
    /** Where the creator keeps the tokens of the clusters it made (members read no Secret). */
    readonly tokenDir?: string,
  ) {}

  /** The user's kubeconfig (as kubectl finds it), current context unless `context`. */
  static connect(opts: ConnectOptions = {}): RayPlatform {
    const env = opts.env ?? process.env;
    const tokenDir =
      env.RAYCTL_TOKEN_DIR ??
      path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), ".config"), "rayctl", "tokens");
    return new RayPlatform(
      new KubeApi(loadKubeconfig({ file: opts.kubeconfig, context: opts.context, env })),
      opts.platformNamespace ?? env.RAYCTL_PLATFORM_NAMESPACE ?? DEFAULT_PLATFORM_NAMESPACE,
      tokenDir,
    );
  }

  /** The file that keeps a cluster's token for its creator: by uid, so a cluster made again under the same name is not confused with it. */
  tokenFile(namespace: string, name: string, uid: string): string | undefined {
    return this.tokenDir && path.join(this.tokenDir, namespace, `${name}.${uid}`);
  }

  /** The namespace the kubeconfig context names, if any (kubectl's default for -n). */
  get defaultNamespace(): string | undefined {
    return this.api.target.namespace;
  }

  facts(): Promise<PlatformFacts> {
    this.factsCache ??= this.readFacts(
      this.platformNamespace,
      FACTS.configMap,
      factsSchema,
      "the platform's facts",
      () =>
        `this cluster publishes no ray-platform facts in namespace ${this.platformNamespace}: it runs no ray-platform, or an older one, or its operator namespace differs (pass --platform-namespace or set RAYCTL_PLATFORM_NAMESPACE).`,
    );
    return this.factsCache;
  }

  teamFacts(namespace: string): Promise<TeamFacts> {
    let p = this.teamCache.get(namespace);
    if (!p) {
      p = this.readFacts(
        namespace,
        FACTS.teamConfigMap,
        teamFactsSchema,
        `team ${namespace}'s facts`,
        () =>
          `namespace ${namespace} is not a team namespace of this platform (no team file declares it); use your team's namespace or ray-playground.`,
      );
      this.teamCache.set(namespace, p);
    }
    return p;
  }

  private async readFacts<T>(
    ns: string,
    name: string,
    schema: {
      safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } };
    },
    what: string,
    notFound: () => string,
  ): Promise<T> {
    let cm: { data?: Record<string, string> };
    try {
      cm = await this.api.get(paths.configMap(ns, name));
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) throw new RefusedError(notFound());
      if (err instanceof KubeError && err.code === 403) {
        throw new RefusedError(
          ns === this.platformNamespace
            ? `you may not read ${what} (${ns}/${name}): only members of a team may; ask a team's owners to add you to its team file.`
            : `you may not use namespace ${ns}: it is not a team namespace, or you are not a member of its team. Use your team's namespace or ray-playground, or ask the team's owners to add you to ${ns}.yaml.`,
        );
      }
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(cm.data?.[FACTS.key] ?? "");
    } catch {
      throw new RefusedError(
        `${ns}/${name} holds no valid ${FACTS.key}; the platform's program must publish it again (pulumi up).`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const version = (json as { version?: unknown })?.version;
      throw new RefusedError(
        version !== FACTS.version
          ? `${ns}/${name} has format version ${JSON.stringify(version)}; this rayctl reads version ${FACTS.version}. Install the rayctl that matches the platform.`
          : `${ns}/${name} is malformed (${parsed.error.message.split("\n")[0]}); the platform's program must publish it again.`,
      );
    }
    return parsed.data;
  }

  /** Check and render a cluster without touching the cluster's objects (facts and tutorials are read). */
  private async prepare(
    options: ClusterOptions,
    dryRun?: "client" | "server",
  ): Promise<ClusterRequest & { objects: ClusterObjects; team: TeamFacts; facts: PlatformFacts }> {
    const [facts, team] = await Promise.all([this.facts(), this.teamFacts(options.namespace)]);
    const request = resolveClusterFromOptions(options, facts, team);
    let notebooks: Record<string, string> | undefined;
    if (request.cluster.tutorials) {
      const cm = await this.api.get<{ data?: Record<string, string> }>(
        paths.configMap(this.platformNamespace, FACTS.tutorialsConfigMap),
      );
      notebooks = cm.data ?? {};
    }
    const token = dryRun === "client" ? "generated-when-the-cluster-is-created" : newClusterToken();
    return { ...request, objects: renderClusterObjects(request.cluster, notebooks, token), team, facts };
  }

  /** Create a cluster; refuses taken names, clusters a team file declares, and what the quota cannot hold. */
  async createCluster(options: CreateOptions & { dryRun: "client" | "server" }): Promise<DryRun>;
  async createCluster(options: CreateOptions & { dryRun?: undefined }): Promise<Cluster>;
  async createCluster(options: CreateOptions): Promise<Cluster | DryRun>;
  async createCluster(options: CreateOptions): Promise<Cluster | DryRun> {
    const { cluster: resolved, objects, team, facts } = await this.prepare(options, options.dryRun);
    const list = [
      objects.rayCluster,
      objects.token,
      objects.tutorials,
      objects.tools,
      objects.confinement,
    ].filter((o): o is Record<string, any> => !!o);
    if (options.dryRun === "client") return { dryRun: "client", objects: list };
    const ns = resolved.namespace;
    if (team.rayClusters.includes(resolved.name)) {
      throw new RefusedError(
        `${ns}/${resolved.name} is declared in the team file ${team.file}: the platform's program creates it. Pick another name, or change the cluster there.`,
      );
    }
    try {
      const existing = await this.api.get(paths.rayCluster(ns, resolved.name));
      throw new RefusedError(
        `${ns}/${resolved.name} already exists (created ${existing.metadata?.creationTimestamp ?? "earlier"}${ownerText(ownerOf(existing, team))}); pick another name or delete it first.`,
      );
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 404)) throw err;
    }
    const quotas = await this.api.get<{ items: any[] }>(paths.resourceQuotas(ns));
    checkQuota(
      quotas.items,
      clusterDemand(resolved, "maxReplicas"),
      facts,
      team,
      { what: "this cluster at its maximum", lower: (short) => lowerHint(options, short) },
      true,
    );

    const dryRun = options.dryRun === "server" ? { dryRun: "All" } : undefined;
    const post = async (path: string, body: Record<string, any>, what: string) => {
      try {
        return await this.api.request("POST", path, { body, query: dryRun });
      } catch (err) {
        if (err instanceof KubeError) {
          // A deleted cluster's Secret, ConfigMap or Service may outlive it for a moment: Kubernetes'
          // garbage collector removes owned objects in the background.
          if (err.code === 409)
            throw new RefusedError(
              `${body.kind} ${ns}/${body.metadata.name} already exists (left by a cluster of that name that is being deleted, or made by hand); wait a few seconds and try again, or pick another name.`,
            );
          throw new RefusedError(explainKubeError(err, what));
        }
        throw err;
      }
    };
    // The RayCluster first: the ConfigMap and Service then name it as their owner, so deleting
    // the cluster deletes them (Kubernetes' garbage collector). Its head waits for the ConfigMap.
    const created = await post(
      paths.rayClusters(ns),
      objects.rayCluster,
      `create RayCluster ${ns}/${resolved.name}`,
    );
    const owner = {
      apiVersion: "ray.io/v1",
      kind: "RayCluster",
      name: resolved.name,
      uid: created.metadata?.uid ?? "dry-run",
    };
    const owned = (o: Record<string, any>) => ({
      ...o,
      metadata: { ...o.metadata, ownerReferences: [owner] },
    });
    const extra: Record<string, any>[] = [];
    try {
      extra.push(
        await post(
          paths.secrets(ns),
          owned(objects.token),
          `create the token Secret ${ns}/${objects.token.metadata.name}`,
        ),
      );
      if (objects.tutorials)
        extra.push(
          await post(
            paths.configMaps(ns),
            owned(objects.tutorials),
            `create ConfigMap ${ns}/${objects.tutorials.metadata.name}`,
          ),
        );
      if (objects.tools)
        extra.push(
          await post(
            paths.services(ns),
            owned(objects.tools),
            `create Service ${ns}/${objects.tools.metadata.name}`,
          ),
        );
      // In the playground the cluster's pods are reachable only through this policy (render/clusterAccess.ts).
      if (objects.confinement)
        extra.push(
          await post(
            paths.networkPolicies(ns),
            owned(objects.confinement),
            `create NetworkPolicy ${ns}/${objects.confinement.metadata.name}`,
          ),
        );
    } catch (err) {
      // Without its token Secret the head never starts: take the half-made cluster back (its owned objects go with it).
      if (!dryRun)
        await this.api
          .request("DELETE", paths.rayCluster(ns, resolved.name), {
            body: { preconditions: { uid: created.metadata?.uid } },
          })
          .catch(() => undefined);
      throw err;
    }
    if (options.dryRun === "server") return { dryRun: "server", objects: [created, ...extra] };
    // The creator keeps the token (readable by the user alone): team members read no Secret.
    const file = this.tokenFile(ns, resolved.name, created.metadata.uid);
    if (file) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.chmodSync(path.dirname(file), 0o700);
        fs.writeFileSync(file, objects.token.stringData[CLUSTER_TOKEN_KEY], { mode: 0o600 });
      } catch (err) {
        // The cluster exists: a read-only home must not fail its creation.
        options.onProgress?.(
          `could not keep the token in ${file} (${(err as NodeJS.ErrnoException).code ?? err}); the team's owners can read it (rayctl describe cluster ${resolved.name} -n ${ns} --show-token)`,
        );
      }
    }
    const cluster = new Cluster(this, created, team);
    if (options.awaitReady) await cluster.awaitReady(options);
    return cluster;
  }

  /**
   * Submit a Ray job: a RayJob on a cluster made for it (the create flags, checked, rendered and
   * quota-checked as `createCluster` does; queued by Kueue as a whole; removed `ttlSeconds` after
   * the job ends) or on an existing cluster (`cluster`). The working directory goes with it.
   */
  async submitJob(options: SubmitJobOptions & { dryRun: "client" | "server" }): Promise<DryRun>;
  async submitJob(options: SubmitJobOptions & { dryRun?: undefined }): Promise<Job>;
  async submitJob(options: SubmitJobOptions): Promise<Job | DryRun>;
  async submitJob(options: SubmitJobOptions): Promise<Job | DryRun> {
    const problems: string[] = [];
    if (options.entrypoint.length === 0)
      problems.push(
        "--: say what to run after --, e.g. `rayctl job submit -n ray-playground --working-dir . -- python train.py`.",
      );
    // A file's rayClusters entry names the job unless --name does.
    const name =
      options.name ??
      (options.file && !options.cluster ? fileClusterName(options.file.text) : undefined) ??
      generatedJobName(options.workingDir);
    if (name.length > MAX_JOB_NAME || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
      problems.push(
        `--name: ${JSON.stringify(name)} is not a job name KubeRay accepts: at most ${MAX_JOB_NAME} lower-case letters, digits and "-", starting with a letter (its cluster's name adds "-xxxxx").`,
      );
    }
    const shaped = JOB_CLUSTER_FLAGS.filter(([k]) => options[k] !== undefined).map(([, flag]) => flag);
    if (options.cluster && shaped.length > 0)
      problems.push(
        `--cluster: runs on an existing cluster, which has its shape; remove ${shaped.join(", ")}.`,
      );
    const ttl = options.ttlSeconds ?? 600;
    if (problems.length > 0) throw new InputError(problems);
    const files = options.workingDir ? readWorkingDir(options.workingDir) : undefined;
    const ns = options.namespace;

    let objects: JobObjects;
    let token: Record<string, any> | undefined;
    if (options.cluster) {
      const c = await this.getCluster(options.cluster, ns);
      objects = renderJob({
        name,
        namespace: ns,
        entrypoint: options.entrypoint,
        cluster: {
          existing: c.name,
          headTemplate: c.raw.spec!.headGroupSpec.template as Record<string, any>,
        },
        files,
        ttlSeconds: ttl,
        deadlineSeconds: options.deadlineSeconds,
      });
    } else {
      const prepared = await this.prepare({ ...options, name, namespace: ns }, options.dryRun);
      if (prepared.cluster.autoscaling) {
        throw new InputError([
          `${options.file ? `${options.file.path}: ` : ""}a job's cluster has a fixed number of workers (Kueue admits a RayJob whole, and KubeRay removes its cluster when it ends): give replicas, not minReplicas below maxReplicas.`,
        ]);
      }
      if (options.dryRun !== "client") {
        const quotas = await this.api.get<{ items: any[] }>(paths.resourceQuotas(ns));
        const demand = clusterDemand(prepared.cluster, "maxReplicas");
        // The submitter pod counts too (jobs.ts: 500m and 512Mi).
        checkQuota(
          quotas.items,
          { ...demand, cpu: demand.cpu + 0.5, memoryBytes: demand.memoryBytes + 512 * 2 ** 20 },
          prepared.facts,
          prepared.team,
          { what: "this job's cluster", lower: (short) => lowerHint(options, short) },
          true,
        );
      }
      token = prepared.objects.token;
      objects = renderJob({
        name,
        namespace: ns,
        entrypoint: options.entrypoint,
        cluster: {
          spec: prepared.objects.rayCluster.spec as Record<string, any>,
          labels: prepared.objects.rayCluster.metadata.labels as Record<string, string>,
        },
        files,
        ttlSeconds: ttl,
        deadlineSeconds: options.deadlineSeconds,
      });
    }
    const list = [objects.rayJob, token, objects.workingDir].filter((o): o is Record<string, any> => !!o);
    if (options.dryRun === "client") return { dryRun: "client", objects: list };

    const dryRun = options.dryRun === "server" ? { dryRun: "All" } : undefined;
    const post = async (p: string, body: Record<string, any>) => {
      try {
        return await this.api.request("POST", p, { body, query: dryRun });
      } catch (err) {
        if (err instanceof KubeError && err.code === 409)
          throw new RefusedError(
            `${body.kind} ${ns}/${body.metadata.name} already exists; pick another --name (or \`rayctl job delete ${name} -n ${ns}\`).`,
          );
        if (err instanceof KubeError)
          throw new RefusedError(explainKubeError(err, `create ${body.kind} ${ns}/${body.metadata.name}`));
        throw err;
      }
    };
    const created = await post(paths.rayJobs(ns), objects.rayJob);
    const owner = { apiVersion: "ray.io/v1", kind: "RayJob", name, uid: created.metadata?.uid ?? "dry-run" };
    const owned = (o: Record<string, any>) => ({
      ...o,
      metadata: { ...o.metadata, ownerReferences: [owner] },
    });
    const extra: Record<string, any>[] = [];
    try {
      if (token) extra.push(await post(paths.secrets(ns), owned(token)));
      if (objects.workingDir) extra.push(await post(paths.configMaps(ns), owned(objects.workingDir)));
    } catch (err) {
      if (!dryRun)
        await this.api
          .request("DELETE", paths.rayJob(ns, name), {
            body: { preconditions: { uid: created.metadata?.uid } },
          })
          .catch(() => undefined);
      throw err;
    }
    if (options.dryRun === "server") return { dryRun: "server", objects: [created, ...extra] };
    return new Job(this.api, created);
  }

  async getJob(name: string, namespace: string): Promise<Job> {
    try {
      return new Job(this.api, await this.api.get<StoredRayJob>(paths.rayJob(namespace, name)));
    } catch (err) {
      if (err instanceof KubeError)
        throw new RefusedError(
          explainKubeError(err, `get RayJob ${namespace}/${name}`).replace(
            "`rayctl get cluster -n <namespace>`",
            "`rayctl job list -n <namespace>`",
          ),
        );
      throw err;
    }
  }

  /** Jobs in `namespace`, or in every namespace the user may list (undefined), oldest first. */
  async listJobs(namespace?: string): Promise<Job[]> {
    try {
      const list = await this.api.get<{ items: StoredRayJob[] }>(paths.rayJobs(namespace));
      return list.items
        .sort((a, b) =>
          (a.metadata.creationTimestamp ?? "") < (b.metadata.creationTimestamp ?? "") ? -1 : 1,
        )
        .map((o) => new Job(this.api, o));
    } catch (err) {
      if (err instanceof KubeError)
        throw new RefusedError(explainKubeError(err, `list RayJobs${namespace ? ` in ${namespace}` : ""}`));
      throw err;
    }
  }

  async getCluster(name: string, namespace: string): Promise<Cluster> {
    const [obj, team] = await Promise.all([
      this.api.get<StoredRayCluster>(paths.rayCluster(namespace, name)).catch((err) => {
        if (err instanceof KubeError)
          throw new RefusedError(explainKubeError(err, `get RayCluster ${namespace}/${name}`));
        throw err;
      }),
      this.teamFacts(namespace).catch(() => undefined),
    ]);
    return new Cluster(this, obj, team);
  }

  /** Clusters in `namespace`, or in every namespace the user may list (undefined). */
  async listClusters(namespace?: string): Promise<Cluster[]> {
    let list: { items: StoredRayCluster[] };
    try {
      list = await this.api.get(paths.rayClusters(namespace));
    } catch (err) {
      if (err instanceof KubeError && err.code === 403 && namespace === undefined) {
        throw new RefusedError(
          `you may not list RayClusters in all namespaces (members see their teams' namespaces and ray-playground); pass -n <namespace>.`,
        );
      }
      if (err instanceof KubeError)
        throw new RefusedError(
          explainKubeError(err, `list RayClusters${namespace ? ` in ${namespace}` : ""}`),
        );
      throw err;
    }
    const teams = new Map<string, TeamFacts | undefined>();
    if (namespace) teams.set(namespace, await this.teamFacts(namespace).catch(() => undefined));
    return list.items.map((o) => new Cluster(this, o, teams.get(o.metadata.namespace)));
  }

  /**
   * What each cluster costs an hour now, in USD: its running head and ready workers, one node
   * each, at the pools' prices the program publishes (undefined where it publishes none, in mode
   * existing, or where the user may not list pods). One list of Ray pods per namespace, by the
   * label KubeRay puts on every Ray pod (ray-operator/controllers/ray/utils/constant.go:19-22, v1.7.0).
   */
  async hourlyCosts(clusters: readonly Cluster[]): Promise<(number | undefined)[]> {
    const facts = await this.facts().catch(() => undefined);
    if (!facts || clusters.length === 0) return clusters.map(() => undefined);
    const pods = new Map<string, Promise<any[] | undefined>>();
    for (const c of clusters) {
      if (!pods.has(c.namespace))
        pods.set(
          c.namespace,
          this.api
            .get<{ items: any[] }>(paths.pods(c.namespace), {
              labelSelector: `${KUBERAY_LABELS.isRayNode}=yes`,
            })
            .then(
              (l) => l.items,
              () => undefined,
            ),
        );
    }
    const price = (pool: string | undefined) => facts.pools.find((p) => p.name === pool)?.nodeHourly;
    return Promise.all(
      clusters.map(async (c) => {
        const all = await pods.get(c.namespace);
        if (!all || price(c.head.pool) === undefined) return undefined;
        const mine = all.filter((p) => p.metadata?.labels?.[KUBERAY_LABELS.cluster] === c.name);
        const label = (p: any, k: string) => p.metadata?.labels?.[k];
        if (!mine.some((p) => label(p, KUBERAY_LABELS.nodeType) === "head" && p.status?.phase === "Running"))
          return 0;
        const ready: Record<string, number> = {};
        for (const p of mine) {
          const isReady = (p.status?.conditions ?? []).some(
            (x: any) => x.type === "Ready" && x.status === "True",
          );
          if (label(p, KUBERAY_LABELS.nodeType) === "worker" && isReady)
            ready[label(p, KUBERAY_LABELS.group)] = (ready[label(p, KUBERAY_LABELS.group)] ?? 0) + 1;
        }
        return rayClusterHourlyOn(price, { head: c.head, workers: c.workerGroups }, ready);
      }),
    );
  }
}

/** A worker group as the cluster has it now. */
export interface WorkerGroupState {
  readonly name: string;
  readonly replicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpu: string;
  readonly memory: string;
  readonly gpus: number;
  readonly gpuType?: string;
  readonly pool?: string;
}

export interface Endpoints {
  /** For ray.init() / Ray Client. */
  readonly client: string;
  readonly dashboard: string;
  readonly notebook?: string;
  readonly vscode?: string;
}

export class Cluster {
  constructor(
    readonly platform: RayPlatform,
    /** The RayCluster as the API server last returned it. */
    public raw: StoredRayCluster,
    private readonly team?: TeamFacts,
  ) {}

  get name(): string {
    return this.raw.metadata.name;
  }
  get namespace(): string {
    return this.raw.metadata.namespace;
  }
  get createdAt(): string | undefined {
    return this.raw.metadata.creationTimestamp;
  }
  get state(): string {
    return this.raw.status?.state ?? "pending";
  }
  get headIp(): string | undefined {
    return this.raw.status?.head?.podIP;
  }
  /** Workers ready now. */
  get numWorkers(): number {
    return this.raw.status?.readyWorkerReplicas ?? 0;
  }
  /** Workers the cluster asks for now. */
  get desiredWorkers(): number {
    return this.raw.status?.desiredWorkerReplicas ?? this.workerGroups.reduce((n, g) => n + g.replicas, 0);
  }
  get rayVersion(): string | undefined {
    return this.raw.spec?.rayVersion;
  }
  get owner(): Owner {
    return ownerOf(this.raw, this.team);
  }

  get head(): Omit<WorkerGroupState, "name" | "replicas" | "minReplicas" | "maxReplicas"> {
    return groupShape(this.raw.spec?.headGroupSpec?.template);
  }

  get workerGroups(): WorkerGroupState[] {
    return (this.raw.spec?.workerGroupSpecs ?? []).map((g) => ({
      name: g.groupName,
      replicas: g.replicas ?? g.minReplicas ?? 0,
      minReplicas: g.minReplicas ?? 0,
      maxReplicas: g.maxReplicas ?? g.replicas ?? 0,
      ...groupShape(g.template),
    }));
  }

  /** In-cluster addresses (reach them from your machine with `rayctl connect`). */
  get endpoints(): Endpoints {
    const svc = `${this.raw.status?.head?.serviceName ?? headServiceName(this.name)}.${this.namespace}.svc.cluster.local`;
    const tools = `${toolsServiceName(this.name)}.${this.namespace}.svc.cluster.local`;
    const containers = (this.raw.spec?.headGroupSpec.template.spec?.containers ?? []).map((c) => c.name);
    return {
      client: `ray://${svc}:${RAY_PORTS.client}`,
      dashboard: `http://${svc}:${RAY_PORTS.dashboard}`,
      notebook: containers.includes("notebook") ? `http://${tools}:${TOOL_PORTS.notebook}` : undefined,
      vscode: containers.includes("vscode") ? `http://${tools}:${TOOL_PORTS.vscode}` : undefined,
    };
  }

  async refresh(): Promise<this> {
    this.raw = await this.platform.api.get<StoredRayCluster>(paths.rayCluster(this.namespace, this.name));
    return this;
  }

  /** The cluster's Ray nodes (pods), head first: group, Kubernetes node, GPUs, state. */
  async nodes(): Promise<RayNode[]> {
    return (await clusterPods(this.platform.api, this.raw)).map(rayNode);
  }

  /** Each worker group as it runs: ready and desired workers, bounds, shape and pool. */
  async workerGroupStatus(): Promise<WorkerGroupStatus[]> {
    return workerGroupStatus(this.raw, await this.nodes());
  }

  /** The head's log (or a worker group's, or one node's) to `opts.write`; with `follow`, until the streams end or `signal` aborts. */
  async logs(opts: LogOptions): Promise<void> {
    await streamLogs(this.platform.api, this.raw, opts);
  }

  /** Wait until the head and every group's current replicas are ready; progress to `onProgress`. */
  async awaitReady(opts: WaitOptions = {}): Promise<this> {
    this.raw = await awaitReady(this.platform.api, this.namespace, this.name, opts);
    return this;
  }

  /**
   * Set a worker group's size: `replicas` for a fixed-size group (min = max = replicas), or new
   * autoscaler bounds. Quota-checked; refused for clusters from team files.
   */
  async scaleWorkerGroup(
    group: string,
    replicas: number | { minReplicas?: number; maxReplicas?: number },
    opts: { dryRun?: "server" } = {},
  ): Promise<this> {
    this.refuseIfProgram("scale");
    const groups = this.raw.spec?.workerGroupSpecs ?? [];
    const i = groups.findIndex((g) => g.groupName === group);
    // workerGroups is workerGroupSpecs in the same order; i < 0 finds nothing.
    const cur = this.workerGroups[i];
    if (!cur) {
      throw new RefusedError(
        `${this.namespace}/${this.name} has no worker group "${group}" (groups: ${groups.map((g) => g.groupName).join(", ") || "none"}); pass one of them to --worker-group.`,
      );
    }
    const autoscaled = cur.minReplicas < cur.maxReplicas;
    let next: { replicas?: number; minReplicas: number; maxReplicas: number };
    if (typeof replicas === "number") {
      if (autoscaled) {
        throw new RefusedError(
          `worker group "${group}" is autoscaled (${cur.minReplicas} to ${cur.maxReplicas} workers): the autoscaler sets its replicas. Change its bounds with --min-workers/--max-workers instead.`,
        );
      }
      next = { replicas, minReplicas: replicas, maxReplicas: replicas };
    } else {
      next = {
        minReplicas: replicas.minReplicas ?? cur.minReplicas,
        maxReplicas: replicas.maxReplicas ?? cur.maxReplicas,
      };
      if (next.minReplicas > next.maxReplicas) {
        throw new RefusedError(
          `'minReplicas' (${next.minReplicas}) must be less than or equal to 'maxReplicas' (${next.maxReplicas}); change --min-workers or --max-workers.`,
        );
      }
      // Bounds alone scale nothing without the cluster's autoscaler, and neither can be turned on
      // later: Kueue admits an autoscaled cluster only as an elastic job, and refuses a change of
      // that annotation on update (kueue v0.19.2 pkg/controller/jobframework/validation.go:213).
      if (next.minReplicas < next.maxReplicas && !this.raw.spec?.enableInTreeAutoscaling) {
        throw new RefusedError(
          `${this.namespace}/${this.name} was created without autoscaling, so worker group "${group}" has a fixed size: bounds would scale nothing, and Kueue allows autoscaling only from creation. Set the size with --replicas N, or create a cluster with --min-workers/--max-workers.`,
        );
      }
      if (!autoscaled && next.minReplicas === next.maxReplicas)
        next = { ...next, replicas: next.minReplicas };
    }
    const growth = next.maxReplicas - cur.maxReplicas;
    if (growth > 0) {
      const [facts, team, quotas] = await Promise.all([
        this.platform.facts(),
        this.platform.teamFacts(this.namespace),
        this.platform.api.get<{ items: any[] }>(paths.resourceQuotas(this.namespace)),
      ]);
      checkQuota(
        quotas.items,
        workerDemand(cur, growth, facts, team),
        facts,
        team,
        {
          what: `${growth} more worker${growth === 1 ? "" : "s"} of group ${group}`,
          lower: () => (typeof replicas === "number" ? "ask for fewer --replicas" : "lower --max-workers"),
        },
        false,
      );
    }
    const base = `/spec/workerGroupSpecs/${i}`;
    // The test pins the index to the group: a concurrent change of the list fails the patch (422) instead of scaling another group.
    const patch: Record<string, unknown>[] = [{ op: "test", path: `${base}/groupName`, value: group }];
    for (const k of ["replicas", "minReplicas", "maxReplicas"] as const)
      if (next[k] !== undefined) patch.push({ op: "add", path: `${base}/${k}`, value: next[k] });
    try {
      this.raw = await this.platform.api.request<StoredRayCluster>(
        "PATCH",
        paths.rayCluster(this.namespace, this.name),
        {
          body: patch,
          contentType: "application/json-patch+json",
          query: opts.dryRun ? { dryRun: "All" } : undefined,
        },
      );
    } catch (err) {
      // The patch's test failed: the worker groups changed since they were read.
      if (err instanceof KubeError && err.code === 422 && /test/i.test(err.message)) {
        throw new RefusedError(
          `${this.namespace}/${this.name}'s worker groups changed while scaling; run the command again.`,
        );
      }
      if (err instanceof KubeError)
        throw new RefusedError(explainKubeError(err, `scale ${this.namespace}/${this.name}`));
      throw err;
    }
    return this;
  }

  /**
   * The cluster's token, from its Secret (authOptions.secretName): the dashboard, the notebook,
   * the editor and Ray clients ask for it. Members of the cluster's team may read it.
   */
  async token(): Promise<string> {
    const kept = this.raw.metadata.uid
      ? this.platform.tokenFile(this.namespace, this.name, this.raw.metadata.uid)
      : undefined;
    if (kept && fs.existsSync(kept)) return fs.readFileSync(kept, "utf8");
    const secret = this.raw.spec?.authOptions?.secretName;
    if (!secret)
      throw new RefusedError(
        `${this.namespace}/${this.name} has no token Secret (authOptions.secretName): it was not made by this platform.`,
      );
    try {
      const s = await this.platform.api.get<{ data?: Record<string, string> }>(
        `${paths.secrets(this.namespace)}/${secret}`,
      );
      const value = s.data?.[CLUSTER_TOKEN_KEY];
      if (!value)
        throw new RefusedError(
          `the Secret ${this.namespace}/${secret} holds no ${CLUSTER_TOKEN_KEY}; recreate the cluster or ask the platform team.`,
        );
      return Buffer.from(value, "base64").toString("utf8");
    } catch (err) {
      if (err instanceof KubeError && err.code === 403) {
        throw new RefusedError(
          `you may not read the token Secret ${this.namespace}/${secret}: members read no Secret. The cluster's creator has the token (rayctl keeps it where it created the cluster), and the team's owners may read it: ask them for \`rayctl describe cluster ${this.name} -n ${this.namespace} --show-token\`.`,
        );
      }
      if (err instanceof KubeError)
        throw new RefusedError(explainKubeError(err, `read the token Secret ${this.namespace}/${secret}`));
      throw err;
    }
  }

  /** Delete the cluster (its ConfigMap and Service go with it); refused for clusters from team files. */
  async delete(opts: { dryRun?: "server" } = {}): Promise<void> {
    this.refuseIfProgram("delete");
    try {
      await this.platform.api.request("DELETE", paths.rayCluster(this.namespace, this.name), {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          propagationPolicy: "Background",
          preconditions: { uid: this.raw.metadata.uid },
        },
        query: opts.dryRun ? { dryRun: "All" } : undefined,
      });
      const kept =
        this.raw.metadata.uid && !opts.dryRun
          ? this.platform.tokenFile(this.namespace, this.name, this.raw.metadata.uid)
          : undefined;
      if (kept) fs.rmSync(kept, { force: true });
    } catch (err) {
      if (err instanceof KubeError)
        throw new RefusedError(explainKubeError(err, `delete ${this.namespace}/${this.name}`));
      throw err;
    }
  }

  private refuseIfProgram(verb: string): void {
    const owner = this.owner;
    if (owner.kind === "team-file") {
      throw new RefusedError(
        `${this.namespace}/${this.name} comes from the team file ${owner.file}: the platform's program owns it, and would undo a change made here. To ${verb} it, edit ${owner.file} (rayClusters) in a pull request.`,
      );
    }
  }
}

function ownerOf(raw: StoredRayCluster, team: TeamFacts | undefined): Owner {
  const declared = team?.rayClusters.includes(raw.metadata?.name);
  const manager = raw.metadata?.labels?.[MANAGED_BY_LABEL];
  if (declared || manager === MANAGED_BY[MANAGED_BY_LABEL])
    return { kind: "team-file", file: team?.file ?? `${raw.metadata?.namespace}.yaml` };
  if (manager === CLIENT_MANAGER) return { kind: "rayctl" };
  return { kind: "other" };
}

function ownerText(o: Owner): string {
  return o.kind === "team-file" ? ` by the team file ${o.file}` : o.kind === "rayctl" ? " with rayctl" : "";
}

function groupShape(template: PodTemplateSpec | undefined): {
  cpu: string;
  memory: string;
  gpus: number;
  gpuType?: string;
  pool?: string;
} {
  const c = template?.spec?.containers[0];
  const r = { ...(c?.resources?.requests ?? {}), ...(c?.resources?.limits ?? {}) };
  const selector = template?.spec?.nodeSelector ?? {};
  return {
    cpu: String(r.cpu ?? "-"),
    memory: String(r.memory ?? "-"),
    gpus: Number(r[GPU_RESOURCE] ?? 0),
    gpuType: selector[ACCELERATOR_LABEL],
    pool: selector[POOL_LABEL],
  };
}

/** What `n` more workers of a group request: the Ray container, and the GCS FUSE sidecar when the team has a bucket. */
function workerDemand(g: WorkerGroupState, n: number, facts: PlatformFacts, team: TeamFacts): Demand {
  const type = facts.gpuTypes.find((t) => t.gkeType === g.gpuType)?.type;
  const fuse = team.bucket ? SIDECARS.gcsfuse : { cpu: 0, memoryGi: 0 };
  return {
    cpu: ((parseQuantity(g.cpu) ?? 0) + fuse.cpu) * n,
    memoryBytes: ((parseQuantity(g.memory) ?? 0) + bytesFromGi(fuse.memoryGi)) * n,
    gpus: type && g.gpus > 0 ? { [type]: g.gpus * n } : {},
  };
}

/** The create flags that shape a job's own cluster (refused with --cluster). */
const JOB_CLUSTER_FLAGS: [keyof SubmitJobOptions, string][] = [
  ["file", "--file"],
  ["cpusInHead", "--cpus-in-head"],
  ["memoryInHead", "--memory-in-head"],
  ["cpusPerWorker", "--cpus-per-worker"],
  ["memoryPerWorker", "--memory-per-worker"],
  ["gpusPerWorker", "--gpus-per-worker"],
  ["workerGpuType", "--worker-gpu-type"],
  ["workerReplicas", "--workers"],
  ["rayVersion", "--ray-version"],
];

/** The `name` (or metadata.name) a --file gives, if it gives one. */
function fileClusterName(text: string): string | undefined {
  try {
    const doc = loadYaml(text) as { name?: unknown; metadata?: { name?: unknown } } | null;
    const n = doc?.name ?? doc?.metadata?.name;
    return typeof n === "string" ? n : undefined;
  } catch {
    return undefined; // the file's own check reports it, with its line
  }
}

/** `train-k3x9p` from the working directory's name (or `job-...`): unique enough to submit again. */
function generatedJobName(workingDir: string | undefined): string {
  const base =
    (workingDir ? path.basename(path.resolve(workingDir)) : "job")
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^[^a-z]+/, "")
      .replace(/-+$/, "")
      .slice(0, MAX_JOB_NAME - 6) || "job";
  return `${base}-${randomBytes(4).toString("hex").slice(0, 5)}`;
}

/** Which flags lower a create's shortfall: those the user passed that bear on it, else the usual ones. */
function lowerHint(o: ClusterOptions, short: ReadonlySet<QuotaDimension>): string {
  if (o.file) return `ask for fewer or smaller workers in ${o.file.path}`;
  const bearing: [keyof ClusterOptions, string, QuotaDimension[]][] = [
    ["workerReplicas", "--workers", ["cpu", "memory", "gpus"]],
    ["maxWorkers", "--max-workers", ["cpu", "memory", "gpus"]],
    ["gpusPerWorker", "--gpus-per-worker", ["gpus"]],
    ["cpusPerWorker", "--cpus-per-worker", ["cpu"]],
    ["memoryPerWorker", "--memory-per-worker", ["memory"]],
    ["cpusInHead", "--cpus-in-head", ["cpu"]],
    ["memoryInHead", "--memory-in-head", ["memory"]],
  ];
  const relevant = bearing.filter(([, , dims]) => dims.some((d) => short.has(d)));
  const passed = relevant.filter(([key]) => o[key] !== undefined).map(([, flag]) => flag);
  const flags =
    passed.length > 0
      ? passed
      : relevant
          .filter(([key]) => key !== "maxWorkers" && key !== "cpusInHead" && key !== "memoryInHead")
          .map(([, flag]) => flag);
  return `ask for less with ${flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(", ")} or ${flags[flags.length - 1]}`}`;
}

/** The seed's `RayCluster.create_cluster(...)`: connect with the user's kubeconfig and create. */
export function createCluster(
  options: CreateOptions & { dryRun?: undefined },
  connection: ConnectOptions = {},
): Promise<Cluster> {
  return RayPlatform.connect(connection).createCluster(options);
}

/** Submit a Ray job (RayPlatform.submitJob) with the user's kubeconfig. */
export function submitJob(
  options: SubmitJobOptions & { dryRun?: undefined },
  connection: ConnectOptions = {},
): Promise<Job> {
  return RayPlatform.connect(connection).submitJob(options);
}

/** The seed's `RayCluster.get_cluster(name, namespace)`. */
export function getCluster(
  name: string,
  namespace: string,
  connection: ConnectOptions = {},
): Promise<Cluster> {
  return RayPlatform.connect(connection).getCluster(name, namespace);
}

/** Clusters in a namespace, or in all the user may list (namespace undefined). */
export function listClusters(namespace?: string, connection: ConnectOptions = {}): Promise<Cluster[]> {
  return RayPlatform.connect(connection).listClusters(namespace);
}
