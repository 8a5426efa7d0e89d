/**
 * A cluster from flags or from a file, resolved and rendered by the program's own code: the
 * flags become a team file's `rayClusters` entry, which goes through the same schema
 * (config/teamFile.ts), the same resolution (config/rayClusters.ts) and the same rendering
 * (render/rayCluster.ts) as an entry in teams/<team>.yaml. Only the facts differ in origin:
 * published by the program in the cluster instead of read from the stack.
 */
import { type ConfigIssue, formatIssue, formatPath, type PathSegment } from "../../config/errors";
import { resolveRayCluster, type ResolvedRayCluster } from "../../config/rayClusters";
import { zodIssues } from "../../config/schema";
import { YamlSource } from "../../config/source";
import { rayClusterSchema, type RayClusterValues } from "../../config/teamFile";
import { type PlatformFacts, poolsFromFacts, type TeamFacts } from "../../render/platformFacts";
import { clusterTokenSecret, isShared, ownPodsPolicy } from "../../render/clusterAccess";
import { type RayCluster } from "../../render/kuberay-types.generated";
import {
  type RayClusterObject,
  renderRayCluster,
  toolsService,
  tutorialsConfigMap,
} from "../../render/rayCluster";
import { rayClusterCrdProblems } from "./crdSchema";
import { fromRayClusterObject, rayClusterKindProblems } from "./fromRayCluster";
import { CLIENT_MANAGER, MANAGED_BY_LABEL } from "../../config/wire";

/** Name of the worker group a cluster from flags gets (the seed's `--worker-group group1`). */
const FLAG_WORKER_GROUP = "group1";

/** The seed's create_cluster parameters, in TypeScript form. */
export interface ClusterOptions {
  readonly name?: string;
  readonly namespace: string;
  /** CPUs for the head's Ray container; default: a whole head node less sidecars. */
  readonly cpusInHead?: number | string;
  /** Memory for the head, a Kubernetes quantity ("10Gi"). */
  readonly memoryInHead?: number | string;
  readonly cpusPerWorker?: number | string;
  readonly memoryPerWorker?: number | string;
  /** GPUs per worker; the type defaults to the platform's smallest GPU. */
  readonly gpusPerWorker?: number;
  readonly workerGpuType?: string;
  /** Workers of a fixed-size group (default 1). */
  readonly workerReplicas?: number;
  /** Bounds for the autoscaler; min below max turns it on. */
  readonly minWorkers?: number;
  readonly maxWorkers?: number;
  readonly rayVersion?: string;
  /** Tutorial notebooks in the workspace (and the notebook server to open them). */
  readonly withTutorials?: boolean;
  readonly vscodeServer?: boolean;
  readonly notebook?: boolean;
  /** A team file `rayClusters` entry or a `ray.io/v1` RayCluster, as YAML; excludes the options above. */
  readonly file?: { readonly path: string; readonly text: string };
}

/** Bad input: every problem, each as one line (`--flag: ...` or `file:line:col field: ...`). */
export class InputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "InputError";
  }
}

/** Which flag an entry path came from, for messages about flags. */
const FLAG_OF: [string, string][] = [
  ["name", "<name>"],
  ["rayVersion", "--ray-version"],
  ["head.cpu", "--cpus-in-head"],
  ["head.memory", "--memory-in-head"],
  ["head", "--cpus-in-head/--memory-in-head"],
  [`workerGroups[0].gpu.type`, "--worker-gpu-type"],
  // gpu.count, and the request as a whole.
  [`workerGroups[0].gpu`, "--gpus-per-worker"],
  [`workerGroups[0].cpu`, "--cpus-per-worker"],
  [`workerGroups[0].memory`, "--memory-per-worker"],
  [`workerGroups[0].replicas`, "--workers"],
  [`workerGroups[0].minReplicas`, "--min-workers"],
  [`workerGroups[0].maxReplicas`, "--max-workers"],
  [`workerGroups[0]`, "worker flags"],
  ["notebook", "--notebook"],
  ["vscode", "--vscode-server"],
  ["tutorials", "--with-tutorials"],
];

/** Where resolving asks to set a pool (several fit): no flag sets one, a file can. */
const NO_POOL_FLAG =
  " No flag chooses a pool: write the cluster as a team file's rayClusters entry that sets it, and give that with --file.";

function flagOf(path: readonly PathSegment[], o: ClusterOptions): string {
  const p = formatPath(path);
  // A worker's pool follows its GPU type when it asks for GPUs (else its size: worker flags).
  if (p === "workerGroups[0].pool" && (asksForGpus(o) || o.workerGpuType !== undefined))
    return "--worker-gpu-type";
  return FLAG_OF.find(([prefix]) => p === prefix || p.startsWith(`${prefix}.`))?.[1] ?? (p || "<cluster>");
}

const FLAG_OPTIONS: (keyof ClusterOptions)[] = [
  "cpusInHead",
  "memoryInHead",
  "cpusPerWorker",
  "memoryPerWorker",
  "gpusPerWorker",
  "workerGpuType",
  "workerReplicas",
  "minWorkers",
  "maxWorkers",
  "rayVersion",
  "withTutorials",
  "vscodeServer",
  "notebook",
];

/** A number given as a string where the schema wants a number ("4" from a flag is 4). */
const quantityValue = (v: number | string | undefined) =>
  typeof v === "string" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;

/**
 * Whether GPUs are asked for: any count but 0, so that a count the schema refuses (negative, not
 * a number: the SDK's callers have no flag parser) is refused rather than dropped.
 */
const asksForGpus = (o: ClusterOptions) => o.gpusPerWorker !== undefined && o.gpusPerWorker !== 0;

/** The team-file entry that the flags mean. */
function entryFromOptions(o: ClusterOptions, facts: PlatformFacts): Record<string, unknown> {
  const gpuType = o.workerGpuType ?? (asksForGpus(o) ? facts.gpuTypes[0]?.type : undefined);
  const group: Record<string, unknown> = { name: FLAG_WORKER_GROUP };
  if (o.cpusPerWorker !== undefined) group.cpu = quantityValue(o.cpusPerWorker);
  if (o.memoryPerWorker !== undefined) group.memory = quantityValue(o.memoryPerWorker);
  if (gpuType !== undefined)
    group.gpu = o.gpusPerWorker !== undefined ? { type: gpuType, count: o.gpusPerWorker } : { type: gpuType };
  if (o.workerReplicas !== undefined) group.replicas = o.workerReplicas;
  if (o.minWorkers !== undefined) group.minReplicas = o.minWorkers;
  if (o.maxWorkers !== undefined) group.maxReplicas = o.maxWorkers;
  const head: Record<string, unknown> = {};
  if (o.cpusInHead !== undefined) head.cpu = quantityValue(o.cpusInHead);
  if (o.memoryInHead !== undefined) head.memory = quantityValue(o.memoryInHead);
  const noWorkers = o.workerReplicas === 0 && o.minWorkers === undefined && o.maxWorkers === undefined;
  const entry: Record<string, unknown> = { name: o.name, head, workerGroups: noWorkers ? [] : [group] };
  if (o.rayVersion !== undefined) entry.rayVersion = o.rayVersion;
  // Tutorials are notebooks: they come with the server that opens them.
  if (o.notebook || o.withTutorials) entry.notebook = true;
  if (o.vscodeServer) entry.vscode = true;
  if (o.withTutorials) entry.tutorials = true;
  return entry;
}

export interface ClusterRequest {
  readonly cluster: ResolvedRayCluster;
  /** The team-file entry it was resolved from (what to paste into teams/<team>.yaml to make it the program's). */
  readonly entry: RayClusterValues;
}

/** Check and resolve a cluster from options or file, with the platform's and the team's facts. */
export function resolveClusterFromOptions(
  o: ClusterOptions,
  facts: PlatformFacts,
  team: TeamFacts,
): ClusterRequest {
  const ctx = {
    mode: facts.mode,
    team: o.namespace,
    pools: poolsFromFacts(facts),
    catalog: { rayVersions: facts.rayImages.versions, rayImages: facts.rayImages },
    defaultRayVersion: facts.defaultRayVersion,
    imageRegistry: facts.imageRegistry,
    serviceAccountName: team.serviceAccountName,
    bucket: team.bucket,
    practitioner: true,
  };
  if (o.file) {
    const given = FLAG_OPTIONS.filter((k) => o[k] !== undefined);
    if (given.length > 0)
      throw new InputError([
        `--file: cannot be combined with ${given.map(flagName).join(", ")}; put those settings in ${o.file.path}.`,
      ]);
    const issues: ConfigIssue[] = [];
    const source = YamlSource.parse(o.file.path, o.file.text, issues);
    const fail = () => new InputError(issues.map(formatIssue));
    if (issues.length > 0) throw fail();
    const data = source.data as Record<string, unknown> | null;
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new InputError([
        `${o.file.path}: must be a team file's rayClusters entry (a mapping with name, workerGroups, ...) or a ray.io/v1 RayCluster; see \`rayctl create cluster --help\` and docs/cli.md.`,
      ]);
    }
    const isRayCluster = typeof data.apiVersion === "string" || data.kind !== undefined;
    if (isRayCluster) {
      for (const p of rayClusterKindProblems(data)) issues.push(source.issue(p.path, p.message));
      if (issues.length > 0) throw fail();
      const schema = rayClusterCrdProblems(data, facts.kuberayVersion);
      if (!schema)
        throw new InputError([
          `${o.file.path}: the platform runs KubeRay ${facts.kuberayVersion}, whose RayCluster schema this rayctl does not carry; install the rayctl of the platform's version.`,
        ]);
      for (const p of schema) issues.push(source.issue(p.path, p.message));
      if (issues.length > 0) throw fail();
    }
    // A RayCluster (checked against the CRD just above, so of its type) is translated into the
    // entry it means, with paths mapped back into its document.
    const translated = isRayCluster
      ? fromRayClusterObject(data as RayCluster, facts, o.namespace)
      : { entry: data, docPath: (p: readonly PathSegment[]) => [...p] };
    for (const t of "problems" in translated ? translated.problems : [])
      issues.push(source.issue(t.path, t.message, { key: t.key }));
    if (issues.length > 0) throw fail();
    if (o.name !== undefined && translated.entry.name !== o.name) {
      issues.push(
        source.issue(
          isRayCluster ? ["metadata", "name"] : ["name"],
          `names the cluster ${JSON.stringify(translated.entry.name)} but the command line says ${JSON.stringify(o.name)}; drop the name argument or make them equal.`,
        ),
      );
      throw fail();
    }
    const parsed = rayClusterSchema.safeParse(translated.entry, { reportInput: true });
    if (!parsed.success) {
      for (const i of zodIssues(parsed.error))
        issues.push(source.issue(translated.docPath(i.path), i.message, { key: i.key }));
      throw fail();
    }
    const cluster = resolveRayCluster(parsed.data, [], ctx, (path, message, opts) =>
      issues.push(source.issue(translated.docPath(path), message, opts)),
    );
    if (!cluster || issues.length > 0) throw fail();
    return { cluster, entry: parsed.data };
  }

  if (o.name === undefined)
    throw new InputError([
      "<name>: a cluster needs a name; e.g. `rayctl create cluster my-cluster -n <team>`.",
    ]);
  if (asksForGpus(o) && o.workerGpuType === undefined && facts.gpuTypes.length === 0) {
    throw new InputError([
      "--gpus-per-worker: this platform offers no GPUs; drop the flag, or ask the platform team for a GPU pool.",
    ]);
  }
  const problems: string[] = [];
  const parsed = rayClusterSchema.safeParse(entryFromOptions(o, facts), { reportInput: true });
  if (!parsed.success)
    throw new InputError(zodIssues(parsed.error).map((i) => `${flagOf(i.path, o)}: ${i.message}`));
  const cluster = resolveRayCluster(parsed.data, [], ctx, (path, message) =>
    problems.push(`${flagOf(path, o)}: ${message}${path.at(-1) === "pool" ? NO_POOL_FLAG : ""}`),
  );
  if (!cluster || problems.length > 0) throw new InputError(problems);
  return { cluster, entry: parsed.data };
}

function flagName(k: keyof ClusterOptions): string {
  return `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`.replace("--worker-replicas", "--workers");
}

/**
 * What the client creates for a resolved cluster: what components/rayCluster.ts creates for a team file's
 * cluster, from the same render functions, the shared namespace's own-pods NetworkPolicy
 * included (members may create NetworkPolicies of that one shape only: an admission rule,
 * render/tenancyBase.ts). Labels say the client made them.
 */
export interface ClusterObjects {
  readonly rayCluster: RayClusterObject;
  /** The cluster's token (Ray, JupyterLab, VS Code), which its authOptions name. */
  readonly token: Record<string, any>;
  /** Owned by the RayCluster once it exists (Kubernetes deletes them with it). */
  readonly tutorials?: Record<string, any>;
  readonly tools?: Record<string, any>;
  /** In the shared playground: the NetworkPolicy that lets only the cluster's own pods in. */
  readonly confinement?: Record<string, any>;
}

/** `token`: the cluster's token; a placeholder for a client-side dry run, which must not print a real one. */
export function renderClusterObjects(
  cluster: ResolvedRayCluster,
  notebooks: Readonly<Record<string, string>> | undefined,
  token: string,
): ClusterObjects {
  const rc = renderRayCluster(cluster);
  const annotations = { ...(rc.metadata.annotations as Record<string, string>) };
  // Pulumi's own annotation: nothing of the client's is applied by Pulumi.
  delete annotations["pulumi.com/patchForce"];
  const labels = { ...(rc.metadata.labels as Record<string, string>), [MANAGED_BY_LABEL]: CLIENT_MANAGER };
  const metadata: RayClusterObject["metadata"] = { ...rc.metadata, labels, annotations };
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  const rayCluster: RayClusterObject = { ...rc, metadata };
  const relabel = (o: Record<string, any> | undefined, apiVersion: string, kind: string) =>
    o && {
      apiVersion,
      kind,
      ...o,
      metadata: { ...o.metadata, labels: { ...o.metadata.labels, [MANAGED_BY_LABEL]: CLIENT_MANAGER } },
    };
  return {
    rayCluster,
    token: relabel(clusterTokenSecret(cluster, token) as Record<string, any>, "v1", "Secret")!,
    tutorials: cluster.tutorials
      ? relabel(tutorialsConfigMap(cluster, notebooks ?? {}) as Record<string, any>, "v1", "ConfigMap")
      : undefined,
    tools: relabel(toolsService(cluster) as Record<string, any> | undefined, "v1", "Service"),
    confinement: isShared(cluster.namespace)
      ? relabel(ownPodsPolicy(cluster) as Record<string, any>, "networking.k8s.io/v1", "NetworkPolicy")
      : undefined,
  };
}
