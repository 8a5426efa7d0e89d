/**
 * A `ray.io/v1` RayCluster given with --file, translated into the team-file entry it means,
 * so that it goes through the platform's rules and rendering like any other cluster. The
 * fields the platform sets itself (security context, volumes, tolerations, service account,
 * images through the registry proxy) are not the user's: a file that sets them is refused,
 * field by field, rather than silently changed. Paths of later problems map back into the
 * RayCluster document, so messages point at its lines.
 */
import { type PathSegment } from "../../config/errors";
import { type PlatformFacts } from "../../render/platformFacts";
import { ACCELERATOR_LABEL, GPU_RESOURCE } from "../../config/wire";
import { HEAD_PORTS, portFlags } from "../../render/rayCluster";

export interface Translation {
  readonly entry: Record<string, any>;
  readonly problems: { path: PathSegment[]; message: string; key?: boolean }[];
  /** An entry path (as planning reports it) as a path in the RayCluster document. */
  readonly docPath: (p: readonly PathSegment[]) => PathSegment[];
}

/** rayStartParams the platform sets; a file may repeat them with the platform's value. */
const PLATFORM_DEFAULTS: Record<string, string> = { "dashboard-host": "0.0.0.0", ...portFlags(HEAD_PORTS) };
const SET_BY_PLATFORM = "is set by the platform (security context, volumes, scheduling, images and Services come from its rules); remove it";

const isMap = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);

export function fromRayClusterObject(doc: Record<string, any>, facts: PlatformFacts, namespace: string): Translation {
  const problems: Translation["problems"] = [];
  const bad = (path: PathSegment[], message: string, key = false) => problems.push({ path, message, key });
  const only = (obj: unknown, path: PathSegment[], allowed: string[]) => {
    if (!isMap(obj)) return;
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) bad([...path, k], `${SET_BY_PLATFORM}; a RayCluster file may set ${allowed.join(", ")} here.`, true);
  };
  if (doc.apiVersion !== "ray.io/v1") bad(["apiVersion"], `must be ray.io/v1 (the version of the platform's KubeRay CRDs), not ${JSON.stringify(doc.apiVersion)}.`);
  if (doc.kind !== "RayCluster") bad(["kind"], `must be RayCluster, not ${JSON.stringify(doc.kind)}; RayJobs and RayServices are not created by rayctl.`);
  only(doc, [], ["apiVersion", "kind", "metadata", "spec"]);
  only(doc.metadata, ["metadata"], ["name", "namespace", "labels", "annotations"]);
  if (isMap(doc.metadata) && doc.metadata.namespace !== undefined && doc.metadata.namespace !== namespace) {
    bad(["metadata", "namespace"], `is ${JSON.stringify(doc.metadata.namespace)} but the command line says -n ${namespace}; make them equal or remove it.`);
  }
  const spec = isMap(doc.spec) ? doc.spec : {};
  if (!isMap(doc.spec)) bad(["spec"], "is required: a RayCluster needs spec.headGroupSpec; see KubeRay's ray-cluster.sample.yaml.");
  only(spec, ["spec"], ["rayVersion", "headGroupSpec", "workerGroupSpecs", "enableInTreeAutoscaling", "autoscalerOptions"]);
  only(spec.autoscalerOptions, ["spec", "autoscalerOptions"], ["idleTimeoutSeconds", "upscalingMode", "version"]);

  /** The one container of a group, checked, and where its resources are. */
  const container = (groupPath: PathSegment[], group: any) => {
    only(group, groupPath, groupPath.length === 2 ? ["rayStartParams", "serviceType", "template"] : ["groupName", "replicas", "minReplicas", "maxReplicas", "rayStartParams", "template"]);
    if (groupPath.length === 2 && group?.serviceType !== undefined && group.serviceType !== "ClusterIP") {
      bad([...groupPath, "serviceType"], `must be ClusterIP: nothing on the platform is exposed outside the cluster; use \`rayctl connect\`.`);
    }
    const tpl = group?.template;
    only(tpl, [...groupPath, "template"], ["metadata", "spec"]);
    only(tpl?.spec, [...groupPath, "template", "spec"], ["containers", "nodeSelector"]);
    const containers = tpl?.spec?.containers;
    if (!Array.isArray(containers) || containers.length !== 1) {
      bad([...groupPath, "template", "spec", "containers"], "must list exactly one container, the Ray container; the platform adds the notebook, editor and autoscaler itself.");
      return { c: {} as any, path: [...groupPath, "template", "spec", "containers", 0] };
    }
    const path: PathSegment[] = [...groupPath, "template", "spec", "containers", 0];
    only(containers[0], path, ["name", "image", "resources", "ports"]);
    only(containers[0].resources, [...path, "resources"], ["requests", "limits"]);
    return { c: containers[0], path };
  };
  const resourcesOf = (c: any, path: PathSegment[]) => {
    const limits = isMap(c.resources?.limits) ? c.resources.limits : {};
    const requests = isMap(c.resources?.requests) ? c.resources.requests : {};
    const pick = (k: string) => (limits[k] !== undefined ? { value: limits[k], at: [...path, "resources", "limits", k] } : requests[k] !== undefined ? { value: requests[k], at: [...path, "resources", "requests", k] } : undefined);
    return { cpu: pick("cpu"), memory: pick("memory"), gpu: pick(GPU_RESOURCE) };
  };
  const startParams = (params: unknown, path: PathSegment[]) => {
    if (params === undefined) return {};
    if (!isMap(params)) {
      bad(path, "must be a mapping of `ray start` flags.");
      return {};
    }
    return Object.fromEntries(Object.entries(params).filter(([k, v]) => PLATFORM_DEFAULTS[k] !== String(v)));
  };

  const pathMap: [string, PathSegment[]][] = [];
  const entry: Record<string, any> = { name: doc.metadata?.name, workerGroups: [] };
  pathMap.push(["name", ["metadata", "name"]]);
  if (spec.rayVersion !== undefined) entry.rayVersion = spec.rayVersion;
  pathMap.push(["rayVersion", ["spec", "rayVersion"]]);

  const headPath: PathSegment[] = ["spec", "headGroupSpec"];
  const head = container(headPath, spec.headGroupSpec);
  const headRes = resourcesOf(head.c, head.path);
  entry.head = { rayStartParams: startParams(spec.headGroupSpec?.rayStartParams, [...headPath, "rayStartParams"]) };
  if (headRes.cpu) entry.head.cpu = headRes.cpu.value;
  if (headRes.memory) entry.head.memory = headRes.memory.value;
  if (headRes.gpu) bad(headRes.gpu.at, "heads never take a GPU node; remove it and add a GPU worker group.");
  pathMap.push(["head.cpu", headRes.cpu?.at ?? [...head.path, "resources"]], ["head.memory", headRes.memory?.at ?? [...head.path, "resources"]]);
  pathMap.push(["head.rayStartParams", [...headPath, "rayStartParams"]], ["head", headPath]);
  const image = typeof head.c.image === "string" ? head.c.image : undefined;
  // rayproject/ray images are the platform's own, pulled through its registry proxy; anything else is a custom image.
  if (image && !/^(docker\.io\/)?rayproject\/ray(-ml)?:/.test(image)) entry.image = image;
  pathMap.push(["image", [...head.path, "image"]]);

  const groups = spec.workerGroupSpecs ?? [];
  if (!Array.isArray(groups)) bad(["spec", "workerGroupSpecs"], "must be a list of worker groups.");
  (Array.isArray(groups) ? groups : []).forEach((g: any, i: number) => {
    const gp: PathSegment[] = ["spec", "workerGroupSpecs", i];
    const w = container(gp, g);
    const res = resourcesOf(w.c, w.path);
    const group: Record<string, any> = { name: g?.groupName, rayStartParams: startParams(g?.rayStartParams, [...gp, "rayStartParams"]) };
    for (const k of ["replicas", "minReplicas", "maxReplicas"]) if (g?.[k] !== undefined) group[k] = g[k];
    if (res.cpu) group.cpu = res.cpu.value;
    if (res.memory) group.memory = res.memory.value;
    const selector = g?.template?.spec?.nodeSelector;
    only(selector, [...gp, "template", "spec", "nodeSelector"], [ACCELERATOR_LABEL]);
    const accel = isMap(selector) ? selector[ACCELERATOR_LABEL] : undefined;
    if (res.gpu || accel !== undefined) {
      const known = facts.gpuTypes.find((t) => t.gkeType === accel || t.type === accel);
      if (accel !== undefined && !known) {
        bad([...gp, "template", "spec", "nodeSelector", ACCELERATOR_LABEL], `${JSON.stringify(accel)} is not a GPU this platform offers (offered: ${facts.gpuTypes.map((t) => t.gkeType).join(", ") || "none"}).`);
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
    at("gpu.type", accel !== undefined ? [...gp, "template", "spec", "nodeSelector", ACCELERATOR_LABEL] : res.gpu?.at ?? w.path);
    at("gpu", res.gpu?.at ?? w.path);
    at("rayStartParams", [...gp, "rayStartParams"]);
    for (const k of ["replicas", "minReplicas", "maxReplicas"]) at(k, [...gp, k]);
    pathMap.push([`workerGroups[${i}]`, gp]);
  });
  if (isMap(spec.autoscalerOptions)) {
    entry.autoscaler = {};
    for (const k of ["idleTimeoutSeconds", "upscalingMode"]) if (spec.autoscalerOptions[k] !== undefined) entry.autoscaler[k] = spec.autoscalerOptions[k];
  }
  pathMap.push(["autoscaler", ["spec", "autoscalerOptions"]]);

  const docPath = (p: readonly PathSegment[]): PathSegment[] => {
    const text = p.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").replace(/^\./, "");
    // The longest mapped prefix, then the rest of the path under it (e.g. a rayStartParams key).
    let best: [string, PathSegment[]] | undefined;
    for (const m of pathMap) if ((text === m[0] || text.startsWith(`${m[0]}.`) || text.startsWith(`${m[0]}[`)) && (!best || m[0].length > best[0].length)) best = m;
    if (!best) return [];
    const rest = p.slice(best[0].split(/\.|\[/).length);
    return best[0] === "head.rayStartParams" || best[0].endsWith(".rayStartParams") ? [...best[1], ...rest] : best[1];
  };
  return { entry, problems, docPath };
}
