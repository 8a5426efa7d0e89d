/**
 * Every place follows config/wire.ts: the dev stack is planned with Ray's ports (GCS's aside),
 * the tools' ports, the team and pool labels and the GPU resource name changed there, and
 * nothing the plan applies keeps an old value, Ray is told the new ports, and the policy pack
 * still finds what it checks. Then no source file spells those names or ports again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test, vi } from "vitest";
import type * as Wire from "../config/wire";
import { k8sObject, ofType, PROJECT_DIR, type RegisteredResource, runProgram } from "./mocks";

const CHANGED = {
  TEAM_LABEL: "example.org/team",
  POOL_LABEL: "example.org/pool",
  GPU_RESOURCE: "example.org/gpu",
  // GCS stays: KubeRay's autoscaler dials it at 6379 whatever Ray is told (see below).
  RAY_PORTS: { gcs: 6379, dashboard: 18265, client: 20001, metrics: 18080 },
  TOOL_PORTS: { notebook: 18888, vscode: 13333 },
} as const;

let real: typeof Wire;
let resources: RegisteredResource[];

beforeAll(async () => {
  real = await vi.importActual<typeof Wire>("../config/wire");
  vi.doMock("../config/wire", () => ({
    ...real,
    ...CHANGED,
    GPU_TAINT: { ...real.GPU_TAINT, key: CHANGED.GPU_RESOURCE },
  }));
  resources = (await runProgram()).resources;
}, 120_000);

/** Resources whose inputs hold `text`; pinned CRDs (upstream schemas and prose) and Helm charts' own values excluded. */
const holding = (pattern: RegExp) =>
  resources
    .filter((r) => !r.type.endsWith(":CustomResourceDefinition") && !r.type.startsWith("kubernetes:helm.sh/"))
    .filter((r) => pattern.test(JSON.stringify(r.inputs)))
    .map((r) => r.name);

describe("a changed config/wire.ts reaches every object the plan applies", () => {
  test("no object keeps an old label or GPU resource name", () => {
    for (const old of [real.TEAM_LABEL, real.POOL_LABEL, real.GPU_RESOURCE])
      expect(holding(new RegExp(`${old.replace(/[./]/g, "\\$&")}(?![\\w-])`)), old).toEqual([]);
    // It examined something: the new names are there.
    expect(holding(/example\.org\/team/).length).toBeGreaterThan(20);
    expect(holding(/example\.org\/pool/).length).toBeGreaterThan(3);
    expect(holding(/example\.org\/gpu/).length).toBeGreaterThan(5);
  });

  test("no Ray or tool object keeps an old port", () => {
    const rayObjects = (r: RegisteredResource) =>
      /RayCluster|NetworkPolicy|PodMonitoring|:Service$/.test(r.type);
    const oldPorts = [
      real.RAY_PORTS.dashboard,
      real.RAY_PORTS.client,
      real.RAY_PORTS.metrics,
      ...Object.values(real.TOOL_PORTS),
    ];
    const examined = resources.filter(rayObjects);
    expect(examined.length).toBeGreaterThan(10);
    for (const r of examined) {
      const text = JSON.stringify(r.inputs);
      for (const port of oldPorts)
        expect(new RegExp(`(?<![\\d.])"?${port}"?(?![\\d.])`).test(text), `${r.name} still has ${port}`).toBe(
          false,
        );
    }
  });

  test("Ray is told its ports: rayStartParams and container ports agree", () => {
    const rc = k8sObject(resources, "kubernetes:ray.io/v1:RayCluster", "ray-playground", "my-cluster");
    const head = rc.spec.headGroupSpec;
    expect(head.rayStartParams).toMatchObject({
      port: "6379",
      "dashboard-port": "18265",
      "ray-client-server-port": "20001",
      "metrics-export-port": "18080",
    });
    expect(head.template.spec.containers[0].ports).toEqual([
      { name: "gcs", containerPort: 6379 },
      { name: "dashboard", containerPort: 18265 },
      { name: "client", containerPort: 20001 },
      { name: "metrics", containerPort: 18080 },
    ]);
    for (const g of rc.spec.workerGroupSpecs) {
      expect(g.rayStartParams["metrics-export-port"]).toBe("18080");
      expect(g.template.spec.containers[0].ports).toEqual([{ name: "metrics", containerPort: 18080 }]);
    }
  });

  test("the tools Service, the operator's NetworkPolicy and the admission CEL follow", () => {
    const tools = ofType(resources, "kubernetes:core/v1:Service")
      .map((r) => r.inputs)
      .filter((s) => s.metadata.name.endsWith("-tools"));
    expect(tools.length).toBeGreaterThan(0);
    for (const s of tools) for (const p of s.spec.ports) expect([18888, 13333]).toContain(p.port);
    const policies = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs);
    const ports = policies.flatMap((p) =>
      (p.spec.ingress ?? []).flatMap((i: any) => (i.ports ?? []).map((x: any) => x.port)),
    );
    expect(ports).toContain(18265);
    expect(ports).toContain(18080);
    const cel = JSON.stringify(
      ofType(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").map(
        (r) => r.inputs.spec,
      ),
    );
    expect(cel).toContain("example.org/gpu");
  });

  test("the policy pack reads the changed names and still examines the team namespaces", async () => {
    const { RULES } = await import("../policy/rules");
    const props = resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    const quota = RULES.find((r) => r.name === "team-namespace-has-quota")!.check(props);
    const teams = ofType(resources, "kubernetes:core/v1:Namespace").filter(
      (r) => r.inputs.metadata.labels?.["example.org/team"],
    );
    expect(teams.length).toBeGreaterThan(2);
    expect(quota.examined.map((r) => r.name)).toEqual(teams.map((r) => r.name));
    expect(quota.violations).toEqual([]);
  });
});

test("GCS keeps Ray's default port: the autoscaler KubeRay starts dials <head IP>:6379 and takes no address", async () => {
  // ray-operator common/pod.go:941 (`ray kuberay-autoscaler` with cluster name and namespace only);
  // Ray autoscaler/_private/kuberay/run_autoscaler.py: build_address(head_ip, 6379).
  expect((await vi.importActual<typeof Wire>("../config/wire")).RAY_PORTS.gcs).toBe(6379);
});

describe("no source spells a wire name again", () => {
  const SOURCES = ["index.ts", "components", "config", "render", "plan", "cost", "policy", "client/src"];
  const files = SOURCES.flatMap((s) => {
    const p = path.join(PROJECT_DIR, s);
    return fs.statSync(p).isDirectory()
      ? fs
          .readdirSync(p)
          .filter((f) => f.endsWith(".ts"))
          .map((f) => path.join(s, f))
      : [s];
  });
  /** String literals outside comments. */
  const literals = (file: string) =>
    fs
      .readFileSync(path.join(PROJECT_DIR, file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .match(/"[^"\n]*"|`[^`]*`/g) ?? [];

  /** Every label, annotation and resource name config/wire.ts defines (strings with a "/", prefixes aside). */
  const names = (value: unknown): string[] =>
    typeof value === "string"
      ? value.includes("/") && !value.endsWith("/")
        ? [value]
        : []
      : value && typeof value === "object"
        ? Object.values(value).flatMap(names)
        : [];

  test("each is written only in config/wire.ts", async () => {
    const wire = await vi.importActual<typeof Wire>("../config/wire");
    const all = [...new Set(names(wire))];
    expect(all).toEqual(
      expect.arrayContaining([
        "ray-platform/team",
        "ray-platform/pool",
        "nvidia.com/gpu",
        "ray.io/cluster",
        "kueue.x-k8s.io/queue-name",
      ]),
    );
    expect(files.length).toBeGreaterThan(60);
    const quoted = (name: string) => new RegExp(`["\`]${name.replace(/[./]/g, "\\$&")}(?![\\w-])`);
    const elsewhere = all.flatMap((name) =>
      files
        .filter((f) => f !== "config/wire.ts" && literals(f).some((l) => quoted(name).test(l)))
        .map((f) => `${f}: ${name}`),
    );
    expect(elsewhere).toEqual([]);
  });

  test("no string writes Ray's or a tool's port number (as :8265, port=8265 or a bare \"8265\")", async () => {
    const wire = await vi.importActual<typeof Wire>("../config/wire");
    const ports = [...Object.values(wire.RAY_PORTS), ...Object.values(wire.TOOL_PORTS), wire.RAY_SERVE_PORT];
    // Kueue's own health probe listens on :8081 too; that number is Kueue's, not the notebook's.
    const OTHERS = new Set(['render/kueue.ts: ":8081"']);
    const found = files.flatMap((f) =>
      literals(f)
        .filter((l) =>
          ports.some((p) => new RegExp(`(:|=|^["\`]|--port["\`]?,? ?["\`]?)${p}(?!\\d)`).test(l)),
        )
        .map((l) => `${f}: ${l}`),
    );
    expect(found.filter((x) => !OTHERS.has(x))).toEqual([]);
    // It looked: the allowed one is found.
    expect(found).toContain('render/kueue.ts: ":8081"');
  });
});
