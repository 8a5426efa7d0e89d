/**
 * Schema checks of the Kubernetes objects a plan renders, for the tests: core kinds against
 * Kubernetes' OpenAPI schemas (kubernetes-models), custom resources against the CRDs the same
 * plan applies, or that GKE installs (ajv over their openAPIV3Schema), and the checks KubeRay's
 * controller makes after the API server. What the API server or KubeRay would refuse shows up here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { MAX_RAYCLUSTER_NAME, RESOURCE_PARAMS } from "../config/rayClusters";
import { DNS_1035_LABEL } from "../config/schema";
import { parse } from "yaml";
import { type RegisteredResource } from "../plan/engine";
import { manifestOf } from "../plan/manifests";

type Obj = Record<string, any>;

function modelPath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return group === ""
    ? `kubernetes-models/${version}/${kind}`
    : `kubernetes-models/${group}/${version}/${kind}`;
}

/**
 * A Kubernetes quantity by apimachinery's grammar (pkg/api/resource/quantity.go: sign, digits,
 * then one suffix: decimal exponent, SI or binary), written independently of config/quantity.ts
 * so that tests and the fuzzer check the loader against it.
 */
export const APIMACHINERY_QUANTITY =
  /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$/;

/** Compiled CRD schemas, by the schema object: a fresh fake per test reuses them (one compile of KubeRay's large schemas per process). */
const compiledCrds = new WeakMap<Obj, ValidateFunction>();
const crdAjv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

export class ManifestValidator {
  private readonly crdSchemas = new Map<string, Obj>();

  /** `crds`: the CustomResourceDefinitions custom resources are checked against. */
  constructor(crds: readonly Obj[]) {
    for (const crd of crds) {
      for (const v of crd.spec.versions as Obj[])
        this.crdSchemas.set(`${crd.spec.group}/${v.name}:${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
    }
  }

  /** Compiled on first use: the CRD schemas are large and most plans use one of them. */
  private crdValidator(key: string): ValidateFunction | undefined {
    const schema = this.crdSchemas.get(key);
    if (!schema) return undefined;
    if (!compiledCrds.has(schema)) compiledCrds.set(schema, crdAjv.compile(schema));
    return compiledCrds.get(schema);
  }

  /** Problems of one object; [] when its schema accepts it. */
  problems(obj: Obj): string[] {
    const key = `${obj.apiVersion}:${obj.kind}`;
    const crd = this.crdValidator(key);
    if (crd) {
      if (crd(obj)) return [];
      return (crd.errors ?? []).map(
        (e) =>
          `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`,
      );
    }
    let Model: new (o: Obj) => { validate(): void };
    try {
      // The module path is computed from apiVersion and kind, which only require() can load.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const models = require(modelPath(obj.apiVersion, obj.kind)) as Record<string, typeof Model>;
      Model = Object.values(models).find((v) => typeof v === "function" && v.name === obj.kind)!;
    } catch {
      return [`no schema for ${key}: neither a Kubernetes kind nor a CRD of this plan`];
    }
    try {
      new Model(obj).validate();
      return [];
    } catch (err) {
      return [(err as Error).message];
    }
  }
}

/** CRDs GKE installs itself (Managed Prometheus' PodMonitoring), pinned in data/gmp/ for this check. */
export function gkeCrds(): Obj[] {
  const dir = path.join(__dirname, "..", "data", "gmp", "v0.17.2");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => parse(fs.readFileSync(path.join(dir, f), "utf8")) as Obj);
}

/** Check every Kubernetes object of a plan; returns "<kind> <namespace>/<name>: problem" lines. */
export function validatePlanManifests(resources: readonly RegisteredResource[]): string[] {
  const manifests = resources.map(manifestOf).filter((m): m is Obj => !!m);
  const validator = new ManifestValidator([
    ...manifests.filter((m) => m.kind === "CustomResourceDefinition"),
    ...gkeCrds(),
  ]);
  return manifests.flatMap((m) =>
    validator
      .problems(m)
      .map(
        (p) =>
          `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata?.name}: ${p}`,
      ),
  );
}

/**
 * The checks KubeRay's controller (v1.7.0, utils/validation.go) and its webhook make on a
 * RayCluster after the API server has accepted it; a rendered RayCluster must pass them too.
 */
export function kubeRayControllerProblems(rc: Obj): string[] {
  const out: string[] = [];
  const name: string = rc.metadata?.name ?? "";
  if (name.length > MAX_RAYCLUSTER_NAME)
    out.push(`RayCluster name should be no more than ${MAX_RAYCLUSTER_NAME} characters`);
  if (!DNS_1035_LABEL.test(name)) out.push("RayCluster name should be a valid DNS1035 label");
  const spec = rc.spec ?? {};
  const groups: Obj[] = [{ ...spec.headGroupSpec, groupName: "Head" }, ...(spec.workerGroupSpecs ?? [])];
  if (!(spec.headGroupSpec?.template?.spec?.containers?.length > 0))
    out.push("headGroupSpec should have at least one container");
  const seen = new Set<string>();
  for (const g of spec.workerGroupSpecs ?? []) {
    if (seen.has(g.groupName)) out.push("worker group names must be unique");
    seen.add(g.groupName);
    if (!(g.template?.spec?.containers?.length > 0))
      out.push("workerGroupSpec should have at least one container");
    if (g.minReplicas < 0) out.push(`worker group ${g.groupName} has negative minReplicas ${g.minReplicas}`);
    if (g.maxReplicas < 0) out.push(`worker group ${g.groupName} has negative maxReplicas ${g.maxReplicas}`);
    if (g.minReplicas > g.maxReplicas)
      out.push(
        `worker group ${g.groupName} has minReplicas ${g.minReplicas} greater than maxReplicas ${g.maxReplicas}`,
      );
    if (!spec.enableInTreeAutoscaling && (g.minReplicas === undefined || g.maxReplicas === undefined)) {
      out.push(
        `worker group ${g.groupName} must set both minReplicas and maxReplicas when autoscaling is disabled`,
      );
    }
  }
  for (const g of groups) {
    const clash = Object.keys(g.rayStartParams ?? {}).some((k) => RESOURCE_PARAMS.includes(k));
    if (clash && g.resources && Object.keys(g.resources).length > 0) {
      out.push(
        `resource fields should not be set in both rayStartParams and Resources for ${g.groupName} group; please use only one`,
      );
    }
  }
  const v2 = spec.enableInTreeAutoscaling && spec.autoscalerOptions?.version === "v2";
  if (v2) {
    for (const g of groups) {
      const policy = g.template?.spec?.restartPolicy;
      if (policy !== undefined && policy !== "Never")
        out.push(`restartPolicy for ${g.groupName} should be Never or unset when using autoscaler V2`);
    }
  }
  const headEnv: Obj[] = spec.headGroupSpec?.template?.spec?.containers?.[0]?.env ?? [];
  if (headEnv.some((e) => e.name === "RAY_enable_autoscaler_v2") && spec.autoscalerOptions?.version) {
    out.push(
      "both .spec.autoscalerOptions.version and head Pod env var RAY_enable_autoscaler_v2 are set, please only use the former",
    );
  }
  return out;
}
