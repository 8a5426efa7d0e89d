/**
 * A `ray.io/v1` RayCluster given with --file, translated into the team-file entry it means,
 * so that it goes through the platform's rules and rendering like any other cluster. The
 * fields the platform sets itself (security context, volumes, tolerations, service account,
 * images through the registry proxy) are not the user's: a file that sets them is refused,
 * field by field, rather than silently changed. Paths of later problems map back into the
 * RayCluster document, so messages point at its lines.
 */
import { type PathSegment, show } from "../../config/errors";
import {
  type Container,
  type HeadGroupSpec,
  type RayCluster,
  type WorkerGroupSpec,
} from "../../render/kuberay-types.generated";
import { type PlatformFacts } from "../../render/platformFacts";
import { ACCELERATOR_LABEL, GPU_RESOURCE } from "../../config/wire";
import { HEAD_PORTS, portFlags } from "../../render/rayCluster";

export interface Translation {
  readonly entry: Record<string, any>;
  readonly problems: Problem[];
  /** An entry path (as resolving reports it) as a path in the RayCluster document. */
  readonly docPath: (p: readonly PathSegment[]) => PathSegment[];
}

type Problem = { path: PathSegment[]; message: string; key?: boolean };

/** rayStartParams the platform sets; a file may repeat them with the platform's value. */
const PLATFORM_DEFAULTS: Record<string, string> = { "dashboard-host": "0.0.0.0", ...portFlags(HEAD_PORTS) };
const SET_BY_PLATFORM =
  "is set by the platform (security context, volumes, scheduling, images and Services come from its rules); remove it";

const REPLICA_FIELDS = ["replicas", "minReplicas", "maxReplicas"] as const;

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** What a document needs to be read as a RayCluster at all: KubeRay's apiVersion and kind. */
export function rayClusterKindProblems(doc: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  if (doc.apiVersion !== "ray.io/v1")
    problems.push({
      path: ["apiVersion"],
      message:
        doc.apiVersion === undefined
          ? "is missing; write apiVersion: ray.io/v1 (the version of the platform's KubeRay CRDs)."
          : `must be ray.io/v1 (the version of the platform's KubeRay CRDs), not ${show(doc.apiVersion)}.`,
    });
  if (doc.kind !== "RayCluster")
    problems.push({
      path: ["kind"],
      message:
        doc.kind === undefined
          ? "is missing; write kind: RayCluster (RayJobs and RayServices are not created by rayctl)."
          : `must be RayCluster, not ${show(doc.kind)}; RayJobs and RayServices are not created by rayctl.`,
    });
  return problems;
}

/** `doc` has passed the CRD's schema (crdSchema.ts), so it has the CRD's types; unknown keys are refused here. */
export function fromRayClusterObject(doc: RayCluster, facts: PlatformFacts, namespace: string): Translation {
  const problems: Problem[] = [];
  const bad = (path: PathSegment[], message: string, key = false) => problems.push({ path, message, key });
  const only = (obj: object | undefined, path: PathSegment[], allowed: string[]) => {
    if (!isMap(obj)) return;
    for (const k of Object.keys(obj))
      if (!allowed.includes(k))
        bad([...path, k], `${SET_BY_PLATFORM}; a RayCluster file may set ${allowed.join(", ")} here.`, true);
  };
  only(doc, [], ["apiVersion", "kind", "metadata", "spec"]);
  only(doc.metadata, ["metadata"], ["name", "namespace", "labels", "annotations"]);
  if (doc.metadata?.namespace !== undefined && doc.metadata.namespace !== namespace) {
    bad(
      ["metadata", "namespace"],
      `is ${JSON.stringify(doc.metadata.namespace)} but the command line says -n ${namespace}; make them equal or remove it.`,
    );
  }
  const spec = doc.spec;
  if (!spec)
    bad(
      ["spec"],
      "is required: a RayCluster needs spec.headGroupSpec; see KubeRay's ray-cluster.sample.yaml.",
    );
  only(
    spec,
    ["spec"],
    ["rayVersion", "headGroupSpec", "workerGroupSpecs", "enableInTreeAutoscaling", "autoscalerOptions"],
  );
  only(
    spec?.autoscalerOptions,
    ["spec", "autoscalerOptions"],
    ["idleTimeoutSeconds", "upscalingMode", "version"],
  );

  /** The one container of a group, checked, and where its resources are. */
  const container = (
    groupPath: PathSegment[],
    group: HeadGroupSpec | WorkerGroupSpec | undefined,
    allowed: string[],
  ): { c: Container | undefined; path: PathSegment[] } => {
    only(group, groupPath, allowed);
    const tpl = group?.template;
    only(tpl, [...groupPath, "template"], ["metadata", "spec"]);
    only(tpl?.spec, [...groupPath, "template", "spec"], ["containers", "nodeSelector"]);
    const containers = tpl?.spec?.containers;
    const path: PathSegment[] = [...groupPath, "template", "spec", "containers", 0];
    const [c, ...others] = containers ?? [];
    if (c === undefined || others.length > 0) {
      bad(
        [...groupPath, "template", "spec", "containers"],
        "must list exactly one container, the Ray container; the platform adds the notebook, editor and autoscaler itself.",
      );
      return { c: undefined, path };
    }
    only(c, path, ["name", "image", "resources", "ports"]);
    only(c.resources, [...path, "resources"], ["requests", "limits"]);
    return { c, path };
  };
  const resourcesOf = (c: Container | undefined, path: PathSegment[]) => {
    const limits = c?.resources?.limits ?? {};
    const requests = c?.resources?.requests ?? {};
    const pick = (k: string) =>
      limits[k] !== undefined
        ? { value: limits[k], at: [...path, "resources", "limits", k] }
        : requests[k] !== undefined
          ? { value: requests[k], at: [...path, "resources", "requests", k] }
          : undefined;
    return { cpu: pick("cpu"), memory: pick("memory"), gpu: pick(GPU_RESOURCE) };
  };
  const startParams = (params: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(params ?? {}).filter(([k, v]) => PLATFORM_DEFAULTS[k] !== v));

  const pathMap: [string, PathSegment[]][] = [];
  const entry: Record<string, any> = { name: doc.metadata?.name, workerGroups: [] };
  pathMap.push(["name", ["metadata", "name"]]);
  if (spec?.rayVersion !== undefined) entry.rayVersion = spec.rayVersion;
  pathMap.push(["rayVersion", ["spec", "rayVersion"]]);

  const headPath: PathSegment[] = ["spec", "headGroupSpec"];
  const headGroup = spec?.headGroupSpec;
  const head = container(headPath, headGroup, ["rayStartParams", "serviceType", "template"]);
  if (headGroup?.serviceType !== undefined && headGroup.serviceType !== "ClusterIP") {
    bad(
      [...headPath, "serviceType"],
      `must be ClusterIP: nothing on the platform is exposed outside the cluster; use \`rayctl connect\`.`,
    );
  }
  const headRes = resourcesOf(head.c, head.path);
  entry.head = { rayStartParams: startParams(headGroup?.rayStartParams) };
  if (headRes.cpu) entry.head.cpu = headRes.cpu.value;
  if (headRes.memory) entry.head.memory = headRes.memory.value;
  if (headRes.gpu) bad(headRes.gpu.at, "heads never take a GPU node; remove it and add a GPU worker group.");
  pathMap.push(
    ["head.cpu", headRes.cpu?.at ?? [...head.path, "resources"]],
    ["head.memory", headRes.memory?.at ?? [...head.path, "resources"]],
  );
  pathMap.push(["head.rayStartParams", [...headPath, "rayStartParams"]], ["head", headPath]);
  const image = head.c?.image;
  // rayproject/ray images are the platform's own, pulled through its registry proxy; anything else is a custom image.
  if (image && !/^(docker\.io\/)?rayproject\/ray(-ml)?:/.test(image)) entry.image = image;
  pathMap.push(["image", [...head.path, "image"]]);

  (spec?.workerGroupSpecs ?? []).forEach((g, i) => {
    const gp: PathSegment[] = ["spec", "workerGroupSpecs", i];
    const w = container(gp, g, [
      "groupName",
      "replicas",
      "minReplicas",
      "maxReplicas",
      "rayStartParams",
      "template",
    ]);
    const res = resourcesOf(w.c, w.path);
    const group: Record<string, any> = { name: g.groupName, rayStartParams: startParams(g.rayStartParams) };
    if (spec?.enableInTreeAutoscaling === true) {
      for (const k of REPLICA_FIELDS) if (g[k] !== undefined) group[k] = g[k];
    } else {
      // Without the autoscaler KubeRay keeps a group at replicas (CRD default 0) clamped to its
      // bounds (ray-operator v1.7.0 controllers/ray/utils/util.go:389 GetWorkerGroupDesiredReplicas):
      // a fixed size, which it stays here, rather than bounds that would turn the autoscaler on.
      group.replicas = Math.min(
        Math.max(g.replicas ?? 0, g.minReplicas ?? 0),
        g.maxReplicas ?? Number.MAX_SAFE_INTEGER,
      );
    }
    if (res.cpu) group.cpu = res.cpu.value;
    if (res.memory) group.memory = res.memory.value;
    const selector = g.template.spec?.nodeSelector;
    only(selector, [...gp, "template", "spec", "nodeSelector"], [ACCELERATOR_LABEL]);
    const accel = selector?.[ACCELERATOR_LABEL];
    if (res.gpu || accel !== undefined) {
      const known = facts.gpuTypes.find((t) => t.gkeType === accel || t.type === accel);
      if (accel !== undefined && !known) {
        bad(
          [...gp, "template", "spec", "nodeSelector", ACCELERATOR_LABEL],
          `${JSON.stringify(accel)} is not a GPU this platform offers (offered: ${facts.gpuTypes.map((t) => t.gkeType).join(", ") || "none"}).`,
        );
      }
      const type = known?.type ?? facts.gpuTypes[0]?.type ?? "none";
      group.gpu = res.gpu ? { type, count: Number(res.gpu.value) } : { type };
    }
    entry.workerGroups.push(group);
    const at = (k: string, p: PathSegment[]) => pathMap.push([`workerGroups[${i}].${k}`, p]);
    at("name", [...gp, "groupName"]);
    at("cpu", res.cpu?.at ?? [...w.path, "resources"]);
    at("memory", res.memory?.at ?? [...w.path, "resources"]);
    at("gpu.count", res.gpu?.at ?? [...w.path, "resources"]);
    at(
      "gpu.type",
      accel !== undefined
        ? [...gp, "template", "spec", "nodeSelector", ACCELERATOR_LABEL]
        : (res.gpu?.at ?? w.path),
    );
    at("gpu", res.gpu?.at ?? w.path);
    at("rayStartParams", [...gp, "rayStartParams"]);
    for (const k of REPLICA_FIELDS) at(k, [...gp, k]);
    pathMap.push([`workerGroups[${i}]`, gp]);
  });
  const autoscaler = spec?.autoscalerOptions;
  if (autoscaler) {
    entry.autoscaler = {};
    for (const k of ["idleTimeoutSeconds", "upscalingMode"] as const)
      if (autoscaler[k] !== undefined) entry.autoscaler[k] = autoscaler[k];
  }
  pathMap.push(["autoscaler", ["spec", "autoscalerOptions"]]);

  const docPath = (p: readonly PathSegment[]): PathSegment[] => {
    const text = p
      .map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`))
      .join("")
      .replace(/^\./, "");
    // The longest mapped prefix, then the rest of the path under it (e.g. a rayStartParams key).
    let best: [string, PathSegment[]] | undefined;
    for (const m of pathMap)
      if (
        (text === m[0] || text.startsWith(`${m[0]}.`) || text.startsWith(`${m[0]}[`)) &&
        (!best || m[0].length > best[0].length)
      )
        best = m;
    if (!best) return [];
    const rest = p.slice(best[0].split(/\.|\[/).length);
    return best[0] === "head.rayStartParams" || best[0].endsWith(".rayStartParams")
      ? [...best[1], ...rest]
      : best[1];
  };
  return { entry, problems, docPath };
}
