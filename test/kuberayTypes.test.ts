/**
 * render/kuberay-types.generated.ts: the RayCluster types generated from the pinned CRD are
 * committed, current, and closed (a misspelt field is a type error, which `npm run typecheck`
 * proves with the @ts-expect-error lines below).
 */
import * as fs from "node:fs";
import { compile, type JSONSchema } from "json-schema-to-typescript";
import { describe, expect, test } from "vitest";
import { KUBERAY_VERSION } from "../config/stackFile";
import { type RayClusterSpec, type WorkerGroupSpec } from "../render/kuberay-types.generated";
import {
  crdFile,
  GEN_COMMAND,
  generateKuberayTypes,
  KUBERAY_TYPES_FILE,
  kubernetesToJsonSchema,
} from "../scripts/gen-kuberay-types";

describe("the generated RayCluster types", () => {
  test("the committed file is what the generator makes from the pinned CRD", async () => {
    const generated = await generateKuberayTypes();
    const committed = fs.readFileSync(KUBERAY_TYPES_FILE, "utf8");
    // Not vacuous: the text describes the RayCluster spec of the pinned version.
    expect(generated).toContain(crdFile(KUBERAY_VERSION));
    expect(generated).toMatch(/export interface RayClusterSpec \{\n/);
    expect(generated).toMatch(/\n {2}headGroupSpec: HeadGroupSpec;\n/);
    expect(generated).toMatch(/\bworkerGroupSpecs\?: WorkerGroupSpec\[\];/);
    expect(generated).toMatch(/export interface WorkerGroupSpec \{\n {2}groupName: string;/);
    const [a, b] = [committed.split("\n"), generated.split("\n")];
    const line = a.findIndex((l, i) => l !== b[i]);
    const stale = line >= 0 || a.length !== b.length;
    expect(
      stale,
      `render/kuberay-types.generated.ts is stale (first difference at line ${line + 1}): run \`${GEN_COMMAND}\` (it reads ${crdFile(KUBERAY_VERSION)}; the version is KUBERAY_VERSION in config/stackFile.ts) and commit the result.`,
    ).toBe(false);
  });

  test("Kubernetes' extensions: int-or-string is number | string, preserved unknown fields an open object, other objects closed", async () => {
    const schema = kubernetesToJsonSchema(
      {
        type: "object",
        properties: {
          metadata: { type: "object" },
          port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
          config: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          closed: { type: "object", properties: { a: { type: "string" } } },
        },
      },
      true,
    );
    const ts = await compile(schema as JSONSchema, "T", {
      bannerComment: "",
      additionalProperties: false,
      format: true,
    });
    expect(ts).toContain("port?: number | string;");
    expect(ts).toMatch(/config\?: \{\n\s+\[k: string\]: unknown;\n\s+\};/);
    expect(ts).toMatch(/metadata\?: \{\n\s+\[k: string\]: unknown;\n\s+\};/);
    expect(ts).toMatch(/closed\?: \{\n\s+a\?: string;\n\s+\};/);
  });

  test("a misspelt or mistyped field is a type error (checked by tsc, not at run time)", () => {
    const group: WorkerGroupSpec = {
      groupName: "cpu",
      minReplicas: 0,
      maxReplicas: 1,
      template: { spec: { containers: [{ name: "ray-worker" }] } },
      // @ts-expect-error: not a field of WorkerGroupSpec
      replica: 1,
    };
    const spec: RayClusterSpec = {
      // @ts-expect-error: serviceType is a string
      headGroupSpec: { serviceType: 8265, template: { spec: { containers: [] } } },
    };
    expect([group.groupName, spec.headGroupSpec.serviceType]).toEqual(["cpu", 8265]);
  });
});
