/**
 * `npm run gen:kuberay-types [-- <version>]`: write render/kuberay-types.generated.ts, the
 * TypeScript types of KubeRay's RayCluster (ray.io/v1) from the OpenAPI schema of the pinned CRD
 * (data/kuberay/<version>/crds/ray.io_rayclusters.yaml; version: config/stackFile.ts KUBERAY_VERSION),
 * so that a misspelt or mistyped field of a rendered RayCluster fails `tsc`. scripts/pin-kuberay.sh
 * runs it after pinning; test/kuberayTypes.test.ts fails when the committed file is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { compile, type JSONSchema } from "json-schema-to-typescript";
import { KUBERAY_VERSION } from "../config/stackFile";

const ROOT = path.join(__dirname, "..");
export const KUBERAY_TYPES_FILE = path.join(ROOT, "render", "kuberay-types.generated.ts");
export const GEN_COMMAND = "npm run gen:kuberay-types";

/** The CRD file of a pinned KubeRay version, relative to the repository (for the header). */
export const crdFile = (version: string) =>
  path.posix.join("data", "kuberay", version, "crds", "ray.io_rayclusters.yaml");

/** A node of the CRD's OpenAPI schema, with Kubernetes' x-kubernetes-* keys. */
type Schema = Record<string, unknown>;

/**
 * Schemas that become named, exported types, by path in the RayCluster ("[]": a list's items).
 * Each is the same Go type wherever KubeRay embeds it (controller-gen writes it out in full at
 * every use), so every structurally equal copy elsewhere (the workers' template, init
 * containers, the autoscaler's env and mounts) gets the same name, and the type is written once.
 */
const NAMED: Record<string, string> = {
  "": "RayCluster",
  spec: "RayClusterSpec",
  status: "RayClusterStatus",
  "spec.headGroupSpec": "HeadGroupSpec",
  "spec.workerGroupSpecs[]": "WorkerGroupSpec",
  "spec.autoscalerOptions": "AutoscalerOptions",
  "spec.headGroupSpec.template": "PodTemplateSpec",
  "spec.headGroupSpec.template.spec": "PodSpec",
  "spec.headGroupSpec.template.spec.containers[]": "Container",
  "spec.headGroupSpec.template.spec.containers[].env[]": "EnvVar",
  "spec.headGroupSpec.template.spec.containers[].lifecycle.postStart": "LifecycleHandler",
  "spec.headGroupSpec.template.spec.containers[].livenessProbe": "Probe",
  "spec.headGroupSpec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[]":
    "PodAffinityTerm",
  "spec.headGroupSpec.template.spec.containers[].ports[]": "ContainerPort",
  "spec.headGroupSpec.template.spec.containers[].resources": "ResourceRequirements",
  "spec.headGroupSpec.template.spec.containers[].securityContext": "SecurityContext",
  "spec.headGroupSpec.template.spec.containers[].volumeMounts[]": "VolumeMount",
  "spec.headGroupSpec.template.spec.volumes[]": "Volume",
  "spec.headGroupSpec.template.spec.tolerations[]": "Toleration",
  "spec.headGroupSpec.template.spec.schedulingGates[]": "PodSchedulingGate",
  "spec.headGroupSpec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[]":
    "NodeSelectorTerm",
};

const isObject = (v: unknown): v is Schema => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Kubernetes' extensions as TypeScript: int-or-string is `number | string`; an object that
 * preserves unknown fields is open; every other object is closed (the API server prunes what its
 * schema does not list), except `metadata`, which the API server checks as ObjectMeta itself.
 */
export function kubernetesToJsonSchema(s: Schema, isRoot = false): Schema {
  if (s["x-kubernetes-int-or-string"] === true) return { tsType: "number | string" };
  const out: Schema = { ...s };
  if (isObject(s.properties))
    out.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, kubernetesToJsonSchema(v as Schema)]),
    );
  if (isObject(s.items)) out.items = kubernetesToJsonSchema(s.items);
  if (isObject(s.additionalProperties))
    out.additionalProperties = kubernetesToJsonSchema(s.additionalProperties);
  for (const k of ["anyOf", "oneOf", "allOf"] as const)
    if (Array.isArray(s[k])) out[k] = (s[k] as Schema[]).map((x) => kubernetesToJsonSchema(x));
  if (s["x-kubernetes-preserve-unknown-fields"] === true && s.additionalProperties === undefined)
    out.additionalProperties = true;
  const props = out.properties as Record<string, Schema> | undefined;
  if (isRoot && props?.metadata && !props.metadata.properties) {
    out.properties = {
      ...props,
      metadata: {
        ...props.metadata,
        additionalProperties: true,
        description: "ObjectMeta: the CRD leaves it to the API server.",
      },
    };
  }
  return out;
}

function at(root: Schema, where: string): Schema {
  let s: Schema | undefined = root;
  for (const part of where.split(".").filter(Boolean)) {
    const list = part.endsWith("[]");
    s = (s?.properties as Record<string, Schema> | undefined)?.[list ? part.slice(0, -2) : part];
    if (list) s = s?.items as Schema | undefined;
  }
  if (!s)
    throw new Error(
      `${where} is not in the RayCluster schema any more; update NAMED in scripts/gen-kuberay-types.ts.`,
    );
  return s;
}

/** Titles the NAMED schemas and makes every structurally equal schema the same object (one type). */
function nameShared(root: Schema): Schema {
  const named = new Map<string, Schema>();
  const targets = Object.entries(NAMED).map(([where, title]) => ({ s: at(root, where), title }));
  // Keys first, then titles: a title inside a named schema must not hide its equal copies.
  for (const t of targets) named.set(JSON.stringify(t.s), t.s);
  for (const t of targets) t.s.title = t.title;
  const share = (s: Schema): Schema => {
    const same = named.get(JSON.stringify(s));
    if (same && same !== s) return same;
    if (isObject(s.properties))
      for (const [k, v] of Object.entries(s.properties))
        (s.properties as Record<string, Schema>)[k] = share(v as Schema);
    if (isObject(s.items)) s.items = share(s.items);
    return s;
  };
  return share(root);
}

/** The v1 openAPIV3Schema of a RayCluster CRD document. */
export function rayClusterSchema(crdYaml: string): Schema {
  const crd = load(crdYaml) as {
    spec?: { versions?: { name: string; schema?: { openAPIV3Schema?: Schema } }[] };
  };
  const schema = crd?.spec?.versions?.find((v) => v.name === "v1")?.schema?.openAPIV3Schema;
  if (!schema)
    throw new Error(
      "the CRD has no v1 version with an openAPIV3Schema; is it KubeRay's ray.io_rayclusters.yaml?",
    );
  return schema;
}

/** The text of render/kuberay-types.generated.ts for a pinned KubeRay version: no timestamps, the same for the same CRD. */
export async function generateKuberayTypes(version = KUBERAY_VERSION): Promise<string> {
  const file = crdFile(version);
  const schema = nameShared(
    kubernetesToJsonSchema(
      structuredClone(rayClusterSchema(fs.readFileSync(path.join(ROOT, file), "utf8"))),
      true,
    ),
  );
  const command = version === KUBERAY_VERSION ? GEN_COMMAND : `${GEN_COMMAND} -- ${version}`;
  const banner = [
    "/**",
    ` * Generated: KubeRay ${version}'s RayCluster (ray.io/v1), from ${file},`,
    ` * by \`${command}\` (scripts/gen-kuberay-types.ts, json-schema-to-typescript).`,
    " * Do not edit: change the pin (npm run kuberay:pin) or the script, and run the command again.",
    " */",
  ].join("\n");
  // additionalProperties false: an object lists its fields, so a misspelt one is a type error.
  return compile(schema as JSONSchema, "RayCluster", {
    bannerComment: banner,
    additionalProperties: false,
    unknownAny: true,
    format: true,
  });
}

async function main(): Promise<void> {
  const version = process.argv[2] ?? KUBERAY_VERSION;
  const text = await generateKuberayTypes(version);
  fs.writeFileSync(KUBERAY_TYPES_FILE, text);
  console.log(
    `Wrote ${path.relative(process.cwd(), KUBERAY_TYPES_FILE)} (${text.length} characters) from ${crdFile(version)}.`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`gen-kuberay-types: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
