/** The classes of components/leanResources.ts register what the SDK's classes register. */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expect, test } from "vitest";
import * as lean from "../components/leanResources";
import { evaluate } from "../plan/engine";
import { PROJECT_DIR } from "./mocks";

type Class = new (name: string, args: any, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const metadata = { name: "x", namespace: "team" };
// Per lean class: the SDK's class for the same kind, and inputs of the program's shape.
const cases: { own: { type: string }; sdk: Class; args: object; gcp?: true }[] = [
  // A status, which the input types allow, is dropped as the SDK's class drops it.
  {
    own: lean.Namespace,
    sdk: k8s.core.v1.Namespace,
    args: { metadata: { name: "team", labels: { a: "b" } }, status: { phase: "Active" } },
  },
  {
    own: lean.ResourceQuota,
    sdk: k8s.core.v1.ResourceQuota,
    args: { metadata, spec: { hard: { cpu: "4" } } },
  },
  { own: lean.ServiceAccount, sdk: k8s.core.v1.ServiceAccount, args: { metadata } },
  { own: lean.ConfigMap, sdk: k8s.core.v1.ConfigMap, args: { metadata, data: { "a.json": "{}" } } },
  { own: lean.Service, sdk: k8s.core.v1.Service, args: { metadata, spec: { ports: [{ port: 8888 }] } } },
  {
    own: lean.NetworkPolicy,
    sdk: k8s.networking.v1.NetworkPolicy,
    args: { metadata, spec: { podSelector: {}, policyTypes: ["Ingress"] } },
  },
  {
    own: lean.RoleBinding,
    sdk: k8s.rbac.v1.RoleBinding,
    args: {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "a@example.com" }],
    },
  },
  {
    own: lean.Bucket,
    sdk: gcp.storage.Bucket,
    args: {
      name: "team-bucket",
      location: "EUROPE-WEST4",
      uniformBucketLevelAccess: true,
      labels: { team: "a" },
    },
    gcp: true,
  },
  {
    own: lean.BucketIAMMember,
    sdk: gcp.storage.BucketIAMMember,
    args: { bucket: "team-bucket", role: "roles/storage.objectUser", member: pulumi.output("principal://x") },
    gcp: true,
  },
];

test("every lean class registers what the SDK's class registers (request field by field), without aliases or undeclared outputs", async () => {
  // Each class is tried, and against the SDK's class for its own type token.
  expect(cases.map((c) => c.own)).toEqual(lean.leanClasses);
  const requests = new Map<string, Record<string, unknown>>();
  const outputs = new Map<string, string[]>();
  // With stack traces, as a real run takes them: each request's source position must be the
  // caller's line, which both classes are called from.
  process.env.RAY_PLATFORM_PLAN_STACKS = "1";
  try {
    await evaluate({
      stack: "dev",
      projectDir: PROJECT_DIR,
      loadProgram: async () => {
        // Every registration request as the engine gets it.
        const monitor = pulumi.runtime.getMonitor() as unknown as {
          registerResource: (req: any, cb: any) => Promise<void>;
        };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, cb: any) => {
          requests.set(req.getName(), req.toObject());
          return register(req, cb);
        };
        const provider = new k8s.Provider("cluster", {});
        for (const [i, c] of cases.entries()) {
          // The program's options: provider, dependencies, retain, ignoreChanges, import.
          const opts: pulumi.CustomResourceOptions = c.gcp
            ? {
                retainOnDelete: true,
                import: c.own === lean.Bucket ? "team-bucket" : undefined,
                dependsOn: [provider],
                additionalSecretOutputs: ["etag"],
              }
            : { provider, retainOnDelete: true, dependsOn: [provider], ignoreChanges: ["metadata"] };
          for (const [side, Class] of [
            ["sdk", c.sdk],
            ["own", c.own as unknown as Class],
          ] as const) {
            const r = new Class(`${side}-${i}`, c.args, opts);
            outputs.set(
              `${side}-${i}`,
              Object.keys(r).filter((k) => pulumi.Output.isInstance((r as any)[k])),
            );
          }
        }
        return {};
      },
    });
  } finally {
    delete process.env.RAY_PLATFORM_PLAN_STACKS;
  }
  for (const [i, c] of cases.entries()) {
    const sdk = requests.get(`sdk-${i}`);
    const own = requests.get(`own-${i}`);
    expect(sdk?.type, `case ${i}`).toBe(c.own.type);
    // All but the name and the aliases.
    const rest = (req: any) =>
      Object.fromEntries(Object.entries(req).filter(([k]) => k !== "name" && k !== "aliasesList"));
    expect(rest(own), c.own.type).toEqual(rest(sdk));
    const [ownAliases, sdkAliases] = [(own as any).aliasesList, (sdk as any).aliasesList];
    expect(ownAliases).toEqual([]);
    // Only what was given is an output (with urn and id), and each class saves Outputs or aliases.
    const given = [
      ...Object.keys(c.args).filter((k) => k !== "status"),
      ...(c.gcp ? [] : ["apiVersion", "kind"]),
    ];
    const [ownOutputs, sdkOutputs] = [outputs.get(`own-${i}`)!, outputs.get(`sdk-${i}`)!];
    expect(ownOutputs.sort(), c.own.type).toEqual([...given, "id", "urn"].sort());
    expect(ownOutputs.length < sdkOutputs.length || sdkAliases.length > 0, c.own.type).toBe(true);
  }
  // What the aliases were: NetworkPolicy's one, RoleBinding's two.
  const aliases = (i: number) => (requests.get(`sdk-${i}`) as any).aliasesList.length;
  expect([5, 6].map(aliases)).toEqual([1, 2]);
  expect((requests.get("own-0") as any).version).toMatch(/^\d+\.\d+\.\d+/);
  expect((requests.get("own-0") as any).sourceposition.uri).toMatch(/leanResources\.test\.ts$/);
  expect((requests.get("own-7") as any).additionalsecretoutputsList).toEqual([
    "etag",
    "effectiveLabels",
    "pulumiLabels",
  ]);
  expect((requests.get("own-7") as any).importid).toBe("team-bucket");
  expect((requests.get("own-0") as any).object.fieldsMap.map(([k]: [string]) => k)).not.toContain("status");
});
