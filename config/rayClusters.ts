/**
 * RayClusters from team files: the rules KubeRay's controller would enforce too late (after
 * the object is accepted), the placement of head and workers on pools, and one worker per
 * node sizing.
 */
import { type Catalog, type NodeCapacity } from "./catalog";
import { show, type PathSegment, type Report, withArticle } from "./errors";
import { type ResolvedPool, type PoolGpu } from "./nodePools";
import { RAY_START_FLAGS, RAY_START_FLAGS_VERSION } from "./rayStartFlags.generated";
import {
  bytesFromGi,
  canonicalMemory,
  CONTAINER_EPHEMERAL_DEFAULT_BYTES,
  CONTAINER_MINIMUM,
  formatCpu,
  parseQuantity,
} from "./quantity";
import { dns1035LabelProblem, suggest } from "./schema";
import { type RayClusterValues, type WorkerGroupValues } from "./teamFile";
import { type Demand } from "./types";
import { RAY_PORT_FLAGS } from "./wire";

/** Oldest Ray with token authentication; KubeRay 1.7 refuses authOptions below it (ray-operator/controllers/ray/utils/validation.go:284-298). */
const MIN_RAY_VERSION = "2.52.0";

/** Whether dotted version `a` is below `b` (numeric parts; a suffix such as rc1 is ignored). */
function olderThan(a: string, b: string): boolean {
  const parts = (v: string) => v.split(".").map((p) => parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/** KubeRay's limit: pods and services get the cluster name plus suffixes. */
export const MAX_RAYCLUSTER_NAME = 53;

/** Requests of the containers the platform adds next to Ray's, counted in quotas and node sizing. */
export const SIDECARS = {
  notebook: { cpu: 1, memoryGi: 2 },
  vscode: { cpu: 1, memoryGi: 2 },
  /** KubeRay's default autoscaler container resources (500m, 512Mi). */
  autoscaler: { cpu: 0.5, memoryGi: 0.5 },
  /** GKE's Cloud Storage FUSE sidecar, with the requests the platform sets on it. */
  gcsfuse: { cpu: 0.25, memoryGi: 0.5 },
} as const;

/** Ray's own resource settings; KubeRay refuses them next to the group's `resources` (rayResources). */
export const RESOURCE_PARAMS = ["num-cpus", "num-gpus", "memory", "resources"];
/** Set by the platform: its Services, NetworkPolicies and tools depend on these ports and addresses. */
const PLATFORM_PARAMS = [
  ...Object.values(RAY_PORT_FLAGS),
  "address",
  "node-ip-address",
  "dashboard-host",
  "block",
];

export interface ResolvedGroup {
  readonly name: string;
  /** The pool the pods go to; undefined in existing mode without pools (no placement). */
  readonly pool?: ResolvedPool;
  readonly gpu?: PoolGpu;
  /** Ray container CPU (cores) and memory (bytes), requests = limits. */
  readonly cpu: number;
  readonly memoryBytes: number;
  /** Sized to take one whole node of its pool. */
  readonly sizedToNode: boolean;
  readonly rayStartParams: Readonly<Record<string, string>>;
  /** Ray logical resources of the group (the CRD's group `resources`), when set. */
  readonly rayResources?: Readonly<Record<string, string>>;
}

interface ResolvedWorkerGroup extends ResolvedGroup {
  /** Workers at creation: fixed groups keep it; autoscaling groups start here (= minReplicas). */
  readonly replicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

interface RayClusterImages {
  readonly cpu: string;
  readonly gpu: string;
  readonly notebook: string;
  readonly vscode: string;
}

export interface ResolvedRayCluster {
  readonly name: string;
  readonly namespace: string;
  readonly description?: string;
  readonly rayVersion: string;
  readonly images: RayClusterImages;
  readonly head: ResolvedGroup;
  readonly workerGroups: readonly ResolvedWorkerGroup[];
  /** Set when any group can scale (minReplicas < maxReplicas). */
  readonly autoscaling?: {
    readonly idleTimeoutSeconds: number;
    readonly upscalingMode: RayClusterValues["autoscaler"]["upscalingMode"];
  };
  readonly notebook: boolean;
  readonly vscode: boolean;
  readonly tutorials: boolean;
  readonly serviceAccountName: string;
  /** The team's bucket, mounted with GCS FUSE at /mnt/bucket. */
  readonly bucket?: string;
}

// Re-exported: rayctl takes it from here.
export type { Demand } from "./types";

/**
 * What resolving a RayCluster needs of the catalog: Ray versions and image names. The program
 * passes its Catalog; the client passes the platform's published facts (render/platformFacts.ts).
 */
export type RayImageCatalog = Pick<Catalog, "rayVersions" | "rayImages">;

export interface ClusterContext {
  readonly mode: "gke" | "existing";
  readonly team: string;
  readonly pools: readonly ResolvedPool[];
  readonly catalog: RayImageCatalog;
  readonly defaultRayVersion: string;
  readonly imageRegistry: string;
  readonly serviceAccountName: string;
  readonly bucket?: string;
  /** GPU types data/gke-accelerators.yaml knows (a pool can only be made of those); the program's check names the file. */
  readonly knownGpuTypes?: readonly string[];
  /** Checking for a practitioner (rayctl), who cannot change the stack: hints say whom to ask. */
  readonly practitioner?: boolean;
}

/**
 * What makes a GPU type available to teams: a pool of it, and first, for a type the platform
 * has never had (`unknownAmong` given: the types data/gke-accelerators.yaml lists), its entry there.
 */
export function gpuRemedy(type: string, unknownAmong?: readonly string[]): string {
  const pool = `${withArticle(type)} pool to ray-platform:nodePools`;
  return unknownAmong
    ? `add ${type} to data/gke-accelerators.yaml (its GKE accelerator, GPU memory and zones; it lists ${unknownAmong.join(", ")}), then ${pool}`
    : `add ${pool}`;
}

/** Check one RayCluster and resolve it; problems go to `report` under `at` (e.g. ["rayClusters", 0]). */
export function resolveRayCluster(
  values: RayClusterValues,
  at: PathSegment[],
  ctx: ClusterContext,
  report: Report,
): ResolvedRayCluster | undefined {
  let ok = true;
  const fail = (path: PathSegment[], message: string) => {
    ok = false;
    report([...at, ...path], message);
  };

  const nameProblem =
    values.name.length > MAX_RAYCLUSTER_NAME
      ? `${show(values.name)} has ${values.name.length} characters; KubeRay allows at most ${MAX_RAYCLUSTER_NAME} for a RayCluster name. Shorten it.`
      : dns1035LabelProblem(values.name);
  if (nameProblem) fail(["name"], nameProblem);

  const rayVersion = values.rayVersion ?? ctx.defaultRayVersion;
  const known = ctx.catalog.rayVersions.includes(rayVersion);
  const tooOld = values.rayVersion !== undefined && olderThan(values.rayVersion, MIN_RAY_VERSION);
  if (tooOld) {
    fail(
      ["rayVersion"],
      `Ray ${values.rayVersion} has no token authentication, which every cluster has (KubeRay refuses authOptions below Ray ${MIN_RAY_VERSION}); use Ray ${MIN_RAY_VERSION} or later.`,
    );
  }
  if (values.image && values.rayVersion === undefined) {
    fail(
      ["rayVersion"],
      `is required with a custom image; set it to the Ray version inside ${values.image} so KubeRay and the autoscaler match it.`,
    );
  }
  // One message per cause: a version too old for tokens has no image either, and without a
  // custom image the unknown version's message covers the notebook's image too.
  if (!values.image && !known && !tooOld) {
    const s = suggest(rayVersion, ctx.catalog.rayVersions);
    fail(
      values.rayVersion === undefined ? [] : ["rayVersion"],
      `Ray ${rayVersion} has no image the platform knows; use one of ${ctx.catalog.rayVersions.join(", ")}${s ? ` (did you mean ${s}?)` : ""}, set image, or add the version to data/ray-images.yaml.`,
    );
  }
  if (values.notebook && values.image && !known && !tooOld) {
    fail(
      ["notebook"],
      `the notebook server uses the rayproject/ray "-extra" image of the cluster's Ray version, and Ray ${rayVersion} is not in data/ray-images.yaml; use a listed version or turn the notebook off.`,
    );
  }

  const sidecars = headSidecars({
    notebook: values.notebook,
    vscode: values.vscode,
    autoscaling: values.workerGroups.some(isScalable),
    bucket: !!ctx.bucket,
  });
  const head = resolveGroup(values.head, "head", ["head"], ctx, sidecars, fail, rayVersion);

  const names = new Map<string, number>();
  const workerGroups: ResolvedWorkerGroup[] = [];
  values.workerGroups.forEach((group, j) => {
    const path: PathSegment[] = ["workerGroups", j];
    const first = names.get(group.name);
    if (first !== undefined) {
      fail(
        [...path, "name"],
        `worker group "${group.name}" is already defined at workerGroups[${first}]; group names must be unique in a cluster, rename one.`,
      );
      return;
    }
    names.set(group.name, j);
    const replicas = checkReplicas(group, path, fail);
    const resolved = resolveGroup(
      group,
      "worker",
      path,
      ctx,
      ctx.bucket ? [SIDECARS.gcsfuse] : [],
      fail,
      rayVersion,
    );
    if (resolved && replicas) workerGroups.push({ ...resolved, ...replicas });
  });

  if (!ok || !head) return undefined;
  const scalable = workerGroups.some((g) => g.minReplicas < g.maxReplicas);
  const py = ctx.catalog.rayImages.python;
  const base = `${ctx.imageRegistry}/${ctx.catalog.rayImages.repository}:${rayVersion}`;
  return {
    name: values.name,
    namespace: ctx.team,
    description: values.description,
    rayVersion,
    images: {
      cpu: values.image ?? `${base}-${py}`,
      gpu: values.image ?? `${base}-${py}-gpu`,
      notebook: `${base}-extra-${py}`,
      vscode: `${ctx.imageRegistry}/${ctx.catalog.rayImages.vscodeImage}`,
    },
    head,
    workerGroups,
    autoscaling: scalable
      ? {
          idleTimeoutSeconds: values.autoscaler.idleTimeoutSeconds,
          upscalingMode: values.autoscaler.upscalingMode,
        }
      : undefined,
    notebook: values.notebook,
    vscode: values.vscode,
    tutorials: values.tutorials,
    serviceAccountName: ctx.serviceAccountName,
    bucket: ctx.bucket,
  };
}

function isScalable(g: WorkerGroupValues): boolean {
  const r = resolveReplicas(g);
  return r.minReplicas < r.maxReplicas;
}

/** replicas/minReplicas/maxReplicas with their defaults (each field's computedDefault in config/teamFile.ts). */
function resolveReplicas(g: WorkerGroupValues): {
  replicas: number;
  minReplicas: number;
  maxReplicas: number;
} {
  const minReplicas = g.minReplicas ?? g.replicas ?? (g.maxReplicas !== undefined ? 0 : 1);
  const maxReplicas = g.maxReplicas ?? Math.max(g.replicas ?? minReplicas, minReplicas);
  const replicas = g.replicas ?? minReplicas;
  return { replicas, minReplicas, maxReplicas };
}

function checkReplicas(
  g: WorkerGroupValues,
  path: PathSegment[],
  fail: (path: PathSegment[], message: string) => void,
) {
  const r = resolveReplicas(g);
  if (r.minReplicas > r.maxReplicas) {
    fail(
      [...path, "minReplicas"],
      `'minReplicas' (${r.minReplicas}) must be less than or equal to 'maxReplicas' (${r.maxReplicas}); lower minReplicas or raise maxReplicas.`,
    );
    return undefined;
  }
  // With min < max the autoscaler owns the worker count; a replicas the program kept applying
  // would fight it (server-side apply conflicts) on every update.
  if (g.replicas !== undefined && r.minReplicas < r.maxReplicas && g.replicas !== r.minReplicas) {
    const instead =
      g.replicas <= r.maxReplicas
        ? `raise minReplicas to ${g.replicas}`
        : `make the group fixed with minReplicas and maxReplicas ${g.replicas}`;
    fail(
      [...path, "replicas"],
      `is for fixed-size groups; with minReplicas (${r.minReplicas}) below maxReplicas (${r.maxReplicas}) the autoscaler owns the worker count and the group starts at minReplicas. Remove replicas, or ${instead}.`,
    );
    return undefined;
  }
  if (r.replicas < r.minReplicas || r.replicas > r.maxReplicas) {
    fail(
      [...path, "replicas"],
      `'replicas' (${r.replicas}) must be between 'minReplicas' (${r.minReplicas}) and 'maxReplicas' (${r.maxReplicas}); change replicas or the bounds.`,
    );
    return undefined;
  }
  return r;
}

/** What head and worker groups have in common; the head's name is "head". */
type GroupValues = Pick<WorkerGroupValues, "cpu" | "memory" | "pool" | "rayStartParams" | "rayResources"> & {
  name?: string;
  gpu?: WorkerGroupValues["gpu"];
};

function resolveGroup(
  values: GroupValues,
  kind: "head" | "worker",
  path: PathSegment[],
  ctx: ClusterContext,
  sidecars: readonly { cpu: number; memoryGi: number }[],
  fail: (path: PathSegment[], message: string) => void,
  rayVersion: string,
): ResolvedGroup | undefined {
  if (kind === "head" && values.gpu) {
    fail([...path, "gpu"], "heads never take a GPU node; remove gpu from head and add a GPU worker group.");
    return undefined;
  }

  const pool = pickPool(values, kind, path, ctx, fail);
  if (pool === null) return undefined;
  let gpu: PoolGpu | undefined;
  if (pool?.gpu) {
    const count = values.gpu?.count ?? pool.gpu.count;
    if (count > pool.gpu.count) {
      fail(
        [...path, "gpu", "count"],
        `${count} ${pool.gpu.type} GPUs do not fit one node of pool "${pool.name}", which has ${pool.gpu.count}; ask for at most ${pool.gpu.count} or use a pool with bigger nodes.`,
      );
      return undefined;
    }
    gpu = { ...pool.gpu, count };
  }

  const side = sidecars.reduce((s, c) => ({ cpu: s.cpu + c.cpu, memoryGi: s.memoryGi + c.memoryGi }), {
    cpu: 0,
    memoryGi: 0,
  });
  const capacity: NodeCapacity | undefined = pool?.capacity;
  const cpu =
    values.cpu !== undefined
      ? parseQuantity(values.cpu)!
      : capacity
        ? Math.floor(capacity.cpu - side.cpu)
        : undefined;
  const memoryBytes =
    values.memory !== undefined
      ? parseQuantity(values.memory)!
      : capacity
        ? bytesFromGi(Math.floor(capacity.memoryGi - side.memoryGi))
        : undefined;
  if (cpu === undefined || memoryBytes === undefined) {
    fail(
      [...path, cpu === undefined ? "cpu" : "memory"],
      `is required here: ${pool ? `pool "${pool.name}" has no machineType or capacity` : "no node pool is configured"} to size the ${kind} from; set cpu and memory.`,
    );
    return undefined;
  }
  if (cpu < CONTAINER_MINIMUM.cpu || memoryBytes < CONTAINER_MINIMUM.memoryBytes) {
    const which = cpu < CONTAINER_MINIMUM.cpu ? "cpu" : "memory";
    const least =
      which === "cpu" ? formatCpu(CONTAINER_MINIMUM.cpu) : canonicalMemory(CONTAINER_MINIMUM.memoryBytes);
    const given = values[which] !== undefined;
    fail(
      [...path, which],
      `the ${kind} would get ${given ? `${values[which]} of ${which}` : `no ${which === "cpu" ? "CPU" : "memory"}`}, below the least a container may ask for in a team namespace (${least}, the namespace's LimitRange), so its pods would be refused; ${given ? `ask for at least ${least}` : `set cpu and memory${pool ? ` or use a pool with bigger nodes than "${pool.name}"` : ""}`}.`,
    );
    return undefined;
  }
  if (capacity) {
    const needCpu = cpu + side.cpu;
    const needMem = memoryBytes / 2 ** 30 + side.memoryGi;
    if (needCpu > capacity.cpu || needMem > capacity.memoryGi) {
      const which = needCpu > capacity.cpu ? "cpu" : "memory";
      fail(
        [...path, which],
        `the ${kind} pod needs ${which === "cpu" ? `${needCpu} CPUs` : `${needMem}Gi`} (with its sidecars) but one node of pool "${pool!.name}" gives at most ${which === "cpu" ? `${capacity.cpu} CPUs` : `${capacity.memoryGi}Gi`}; ask for less or use a pool with bigger nodes.`,
      );
      return undefined;
    }
  }
  const strings = (m: Readonly<Record<string, string | number | boolean>> | undefined) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined;
  const rayStartParams = strings(values.rayStartParams)!;
  const rayResources = strings(values.rayResources);
  // KubeRay parses each as a Kubernetes quantity and silently drops one that is not
  // (updateRayStartParamsResources, controllers/ray/common/pod.go:1247-1252, v1.6.2).
  const badResource = Object.entries(rayResources ?? {}).find(([, v]) => !((parseQuantity(v) ?? -1) >= 0));
  if (badResource) {
    fail(
      [...path, "rayResources", badResource[0]],
      `${show(badResource[1])} is not an amount (0 or more): KubeRay would drop it without a word, or pass a negative count to Ray; write one such as 1, 0.5 or 500m.`,
    );
    return undefined;
  }
  if (
    !checkRayStartParams(
      rayStartParams,
      rayResources,
      { cpu, memoryBytes, gpus: gpu?.count ?? 0 },
      [...path, "rayStartParams"],
      fail,
      rayVersion,
    )
  )
    return undefined;
  return {
    name: values.name ?? "head",
    pool,
    gpu,
    cpu,
    memoryBytes,
    sizedToNode: values.cpu === undefined && values.memory === undefined,
    rayStartParams,
    rayResources,
  };
}

/**
 * rayStartParams may tell Ray to use less than the container has (num-cpus: "0" keeps tasks
 * off a head), never more; they may not move the ports the platform relies on, and they follow
 * KubeRay's rules (no `labels`, no resource settings next to the group's `resources`).
 */
function checkRayStartParams(
  params: Readonly<Record<string, string>>,
  rayResources: Readonly<Record<string, string>> | undefined,
  container: { cpu: number; memoryBytes: number; gpus: number },
  path: PathSegment[],
  fail: (path: PathSegment[], message: string) => void,
  rayVersion: string,
): boolean {
  let ok = true;
  const bad = (key: string, message: string) => {
    ok = false;
    fail([...path, key], message);
  };
  for (const [key, value] of Object.entries(params)) {
    if (key.trim() === "" || key.startsWith("-")) {
      bad(
        key,
        key.trim() === ""
          ? `an empty flag name; remove it.`
          : `KubeRay adds the "--" itself (it would pass --${key}): write the key as ${key.replace(/^-+/, "")}.`,
      );
      continue;
    }
    // KubeRay passes each key as `--<key>=<value>` to ray start, whose flags are lowercase words joined by "-".
    const flag = key
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, "-");
    if (flag !== key) {
      const taken = [...PLATFORM_PARAMS, "labels", ...RESOURCE_PARAMS].includes(flag);
      bad(
        key,
        `${show(key)} is not a ray start flag name${taken ? `; it is "${flag}" written differently, which ${RESOURCE_PARAMS.includes(flag) ? "goes in the group's cpu, memory or gpu" : "the platform sets"}` : ""}: write it as ${flag} (lowercase, words joined by "-")${taken ? " or remove it" : ""}.`,
      );
      continue;
    }
    if (PLATFORM_PARAMS.includes(key))
      bad(key, `is set by the platform (its Services, NetworkPolicies and notebook rely on it); remove it.`);
    else if (key !== "labels") {
      const problem = rayStartValueProblem(key, value, rayVersion);
      if (problem) bad(key, problem);
    }
    if (key === "labels") bad(key, `KubeRay refuses rayStartParams.labels; remove it.`);
    if (rayResources && Object.keys(rayResources).length > 0 && RESOURCE_PARAMS.includes(key)) {
      bad(
        key,
        `"${key}" next to rayResources: KubeRay refuses resource settings in both places; keep one of them.`,
      );
    }
  }
  const most = [
    { key: "num-cpus", limit: container.cpu, unit: "CPUs" },
    { key: "num-gpus", limit: container.gpus, unit: "GPUs" },
    { key: "memory", limit: container.memoryBytes, unit: "bytes of memory" },
  ];
  for (const { key, limit, unit } of most) {
    const written = params[key];
    if (written === undefined) continue;
    const n = Number(written);
    if (!Number.isFinite(n)) continue; // told above: not a whole number
    if (n < 0) bad(key, `${show(written)} is negative; write a whole number such as "0".`);
    else if (n > limit)
      bad(
        key,
        `tells Ray it has ${n} ${unit}, but its container has ${limit}; Ray would schedule work that cannot run. Ask for at most ${limit}, or give the group more.`,
      );
  }
  return ok;
}

/** Characters bash leaves alone in an unquoted word. */
const SHELL_SAFE = /^[A-Za-z0-9_.,:/=+@%^-]*$/;

/** Options KubeRay passes "true"/"false" to as values, not as a bare flag (pod.go:1530, v1.7.0). */
const KUBERAY_VALUE_OPTIONS = ["log-color", "include-dashboard", "include-log-monitor"];

/** click's BoolParamType (click 8, ray start's --include-dashboard): these, in any case. */
const CLICK_BOOLEANS = ["1", "true", "t", "yes", "y", "on", "0", "false", "f", "no", "n", "off"];

/**
 * Why `ray start` would refuse `--<key>=<value>` (and the pod never run), by the option's own
 * type in the Ray the platform tests (config/rayStartFlags.generated.ts); undefined if it takes it.
 */
function rayStartValueProblem(key: string, written: string, rayVersion: string): string | undefined {
  const option = RAY_START_FLAGS[key];
  if (!option) {
    // Only the table's Ray is known: a newer one may have options it lacks.
    if (rayVersion !== RAY_START_FLAGS_VERSION) return undefined;
    const s = suggest(key, Object.keys(RAY_START_FLAGS));
    return `"${key}" is not an option of ray start (Ray ${RAY_START_FLAGS_VERSION}), which would exit and the pod never run${s ? `; did you mean ${s}?` : ""} Remove it or fix its name (\`ray start --help\` lists them).`;
  }
  // KubeRay writes --key=value unquoted into the container's bash command line
  // (controllers/ray/common/pod.go): bash splits and expands it first, unless single-quoted.
  const quoted = /^'([^']*)'$/.exec(written);
  if (!quoted && !SHELL_SAFE.test(written)) {
    return `${show(written)} reaches ray start through bash unquoted (KubeRay writes --${key}=value into the container's command), where spaces, quotes and $ ; & | < > ( ) { } * ? [ ] ! # ~ \\ change it; put the whole value in single quotes, e.g. '{"a": 1}'.`;
  }
  const value = quoted?.[1] ?? written;
  const exits = `ray start would exit on --${key}=${value}`;
  // KubeRay turns "true" into a bare --key and drops "false", but for three options that take
  // them as values (convertParamMap, controllers/ray/common/pod.go:1530-1541, v1.7.0).
  const onOff = ["true", "false"].includes(written.toLowerCase());
  if (onOff && option.type !== "flag" && option.type !== "count" && !KUBERAY_VALUE_OPTIONS.includes(key)) {
    const passed =
      value.toLowerCase() === "true"
        ? `a bare --${key}, which ray start refuses as it takes a value`
        : `nothing (the setting is silently dropped)`;
    return `KubeRay passes ${show(value)} as ${passed}; ${option.type === "bool" ? `write "1" or "0"` : `--${key} takes ${option.type === "text" ? "text" : "a number"}, not an on/off switch`}.`;
  }
  switch (option.type) {
    case "int":
      return /^[+-]?[0-9]+$/.test(value.trim())
        ? undefined
        : `${show(value)} is not a whole number, which --${key} takes (${exits}); write one such as "1".`;
    case "float":
      return value.trim() !== "" && Number.isFinite(Number(value))
        ? undefined
        : `${show(value)} is not a number, which --${key} takes (${exits}); write one such as "0.5".`;
    case "bool":
      return CLICK_BOOLEANS.includes(value.trim().toLowerCase())
        ? undefined
        : `${show(value)} is not true or false, which --${key} takes (${exits}); write "true" or "false".`;
    case "flag":
    case "count":
      return ["true", "false"].includes(value.toLowerCase())
        ? undefined
        : `--${key} takes no value: write "true" to pass it (KubeRay then passes a bare --${key}) or remove it.`;
    case "choice":
      return option.choices!.includes(value)
        ? undefined
        : `${show(value)} is not one of ${option.choices!.join(", ")}, which --${key} takes (${exits}).`;
    case "json":
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return `${show(value)} is not JSON, which --${key} takes (${exits}); write a JSON object such as '{"key": 1}'.`;
      }
    default:
      return undefined;
  }
}

/** The pool a group goes to; undefined for no placement (existing mode without pools); null after a failure. */
function pickPool(
  values: GroupValues,
  kind: "head" | "worker",
  path: PathSegment[],
  ctx: ClusterContext,
  fail: (path: PathSegment[], message: string) => void,
): ResolvedPool | undefined | null {
  const role = kind === "head" ? "ray-head" : "ray-worker";
  if (values.pool !== undefined) {
    const pool = ctx.pools.find((p) => p.name === values.pool);
    if (!pool) {
      const s = suggest(
        values.pool,
        ctx.pools.map((p) => p.name),
      );
      fail(
        [...path, "pool"],
        `no node pool is named ${show(values.pool)}${s ? ` (did you mean "${s}"?)` : ""}; use one of ${
          ctx.pools
            .filter((p) => p.role === role)
            .map((p) => p.name)
            .join(", ") || "(none: add one to ray-platform:nodePools)"
        }.`,
      );
      return null;
    }
    if (pool.role !== role) {
      fail(
        [...path, "pool"],
        `pool "${pool.name}" has role ${pool.role}; ${withArticle(kind)} needs a pool with role ${role}.`,
      );
      return null;
    }
    if (values.gpu && pool.gpu?.type !== values.gpu.type) {
      fail(
        [...path, "gpu", "type"],
        `pool "${pool.name}" has ${pool.gpu ? `${pool.gpu.type} GPUs` : "no GPUs"}, not ${values.gpu.type}; change gpu.type or pool.`,
      );
      return null;
    }
    return pool;
  }
  const wantGpu = values.gpu?.type;
  const candidates = ctx.pools.filter((p) => p.role === role && (kind === "head" || p.gpu?.type === wantGpu));
  if (candidates.length === 1) return candidates[0];
  // An existing cluster need not describe every node group: CPU pods then go anywhere.
  if (candidates.length === 0 && ctx.mode === "existing" && !wantGpu) return undefined;
  if (candidates.length > 1) {
    fail(
      [...path, "pool"],
      `several pools fit this ${kind} (${candidates.map((p) => p.name).join(", ")}); set pool to one of them.`,
    );
    return null;
  }
  if (wantGpu) {
    const offered = [...new Set(ctx.pools.flatMap((p) => (p.gpu ? [p.gpu.type] : [])))];
    const pick = suggest(wantGpu, offered);
    const lowerCase = offered.find((t) => t === wantGpu.toLowerCase());
    const instead = pick
      ? `pick ${pick}, or `
      : offered.length > 0
        ? "pick an offered type, or "
        : "make it a CPU worker group, or ";
    const unknown = ctx.knownGpuTypes !== undefined && !ctx.knownGpuTypes.includes(wantGpu);
    // What makes the type available: a pool, and first a catalog entry for a type the platform has never had.
    const remedy = ctx.practitioner
      ? `ask the platform team for ${withArticle(wantGpu)} pool`
      : gpuRemedy(wantGpu, unknown ? ctx.knownGpuTypes : undefined);
    fail(
      [...path, "gpu", "type"],
      lowerCase
        ? `${show(wantGpu)} is not offered by this stack (offered: ${offered.join(", ")}); GPU types are lower case: write ${lowerCase}.`
        : `${show(wantGpu)} is not offered by this stack (offered: ${offered.join(", ") || "no GPUs"}); ${instead}${remedy}.`,
    );
  } else {
    fail(
      path,
      `no node pool with role ${role}${kind === "worker" ? " and no GPU" : ""} exists for this ${kind}; add one to ray-platform:nodePools${kind === "worker" ? " or give the group a gpu" : ""}.`,
    );
  }
  return null;
}

/** What the cluster's pods request: head pod and `replicas` (or `maxReplicas`) of each group. */
export function clusterDemand(c: ResolvedRayCluster, at: "replicas" | "maxReplicas"): Demand {
  const d: Demand = { cpu: 0, memoryBytes: 0, gpus: {} };
  const add = (cpu: number, memoryBytes: number, gpu: PoolGpu | undefined, n: number) => {
    d.cpu += cpu * n;
    d.memoryBytes += memoryBytes * n;
    if (gpu && n > 0) d.gpus[gpu.type] = (d.gpus[gpu.type] ?? 0) + gpu.count * n;
  };
  for (const s of headSidecars({
    notebook: c.notebook,
    vscode: c.vscode,
    autoscaling: !!c.autoscaling,
    bucket: !!c.bucket,
  })) {
    add(s.cpu, bytesFromGi(s.memoryGi), undefined, 1);
  }
  add(c.head.cpu, c.head.memoryBytes, undefined, 1);
  for (const g of c.workerGroups) {
    const n = g[at];
    add(g.cpu, g.memoryBytes, g.gpu, n);
    if (c.bucket) add(SIDECARS.gcsfuse.cpu, bytesFromGi(SIDECARS.gcsfuse.memoryGi), undefined, n);
  }
  return d;
}

/**
 * Ephemeral storage a cluster's pods request at `at`: the namespace's default per container
 * (none of the platform's containers sets its own), and GKE's default for the Cloud Storage FUSE
 * sidecar it injects. Kueue does not count ephemeral storage; the ResourceQuota alone does.
 */
export function clusterEphemeralBytes(c: ResolvedRayCluster, at: "replicas" | "maxReplicas"): number {
  const sidecars = headSidecars({
    notebook: c.notebook,
    vscode: c.vscode,
    autoscaling: !!c.autoscaling,
    bucket: false,
  }).length;
  const fuse = c.bucket ? GCSFUSE_EPHEMERAL_BYTES : 0;
  const workers = c.workerGroups.reduce((n, g) => n + g[at], 0);
  return (
    (1 + sidecars) * CONTAINER_EPHEMERAL_DEFAULT_BYTES +
    fuse +
    workers * (CONTAINER_EPHEMERAL_DEFAULT_BYTES + fuse)
  );
}

/** GKE's default ephemeral-storage request of its Cloud Storage FUSE sidecar (gke-gcsfuse/ephemeral-storage-request). */
export const GCSFUSE_EPHEMERAL_BYTES = 5 * 2 ** 30;

/** Containers next to Ray's in the head pod: they share the node the head is sized to, and count in quotas. */
function headSidecars(f: {
  notebook: boolean;
  vscode: boolean;
  autoscaling: boolean;
  bucket: boolean;
}): { cpu: number; memoryGi: number }[] {
  const out: { cpu: number; memoryGi: number }[] = [];
  if (f.notebook) out.push(SIDECARS.notebook);
  if (f.vscode) out.push(SIDECARS.vscode);
  if (f.autoscaling) out.push(SIDECARS.autoscaler);
  if (f.bucket) out.push(SIDECARS.gcsfuse);
  return out;
}
