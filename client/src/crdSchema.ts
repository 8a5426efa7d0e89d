/**
 * A RayCluster file checked against the RayCluster CRD the platform pins (data/kuberay/<version>),
 * as the API server would check it, before anything is sent. The bundle carries the schema of
 * each pinned version (client/build.mjs writes dist/crds/<version>/rayclusters.schema.json);
 * from a checkout it is read from data/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { load as loadYaml } from "js-yaml";
import { type PathSegment } from "../../config/errors";

const compiled = new Map<string, ValidateFunction | undefined>();

function schemaFor(version: string): ValidateFunction | undefined {
  if (!compiled.has(version)) {
    const bundled = path.join(__dirname, "crds", version, "rayclusters.schema.json");
    const pinned = path.join(
      __dirname,
      "..",
      "..",
      "data",
      "kuberay",
      version,
      "crds",
      "ray.io_rayclusters.yaml",
    );
    let schema: unknown;
    if (fs.existsSync(bundled)) schema = JSON.parse(fs.readFileSync(bundled, "utf8"));
    else if (fs.existsSync(pinned)) {
      const crd = loadYaml(fs.readFileSync(pinned, "utf8")) as {
        spec: { versions: { name: string; schema: { openAPIV3Schema: unknown } }[] };
      };
      schema = crd.spec.versions.find((v) => v.name === "v1")?.schema.openAPIV3Schema;
    }
    // Kubernetes' extensions (x-kubernetes-*) and formats (int32, ...) are not JSON Schema: ignored.
    compiled.set(
      version,
      schema
        ? new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema)
        : undefined,
    );
  }
  return compiled.get(version);
}

/** Problems of a ray.io/v1 RayCluster under KubeRay `version`'s CRD; undefined when this rayctl does not carry that CRD. */
export function rayClusterCrdProblems(
  doc: unknown,
  version: string,
): { path: PathSegment[]; message: string }[] | undefined {
  const validate = schemaFor(version);
  if (!validate) return undefined;
  if (validate(doc)) return [];
  return (validate.errors ?? [])
    .filter((e) => e.keyword !== "if")
    .map((e) => ({
      path: e.instancePath
        .split("/")
        .slice(1)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, "/").replace(/~0/g, "~"))),
      message: `${e.message}${e.keyword === "enum" ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")})` : ""}, says KubeRay ${version}'s RayCluster CRD; fix the value.`,
    }));
}
