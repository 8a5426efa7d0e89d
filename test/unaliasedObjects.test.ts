/** NetworkPolicy and RoleBinding without the SDK's aliases (components/unaliasedObjects.ts). */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expect, test } from "vitest";
import { NetworkPolicy, RoleBinding } from "../components/unaliasedObjects";
import { evaluate } from "../plan/engine";
import { PROJECT_DIR } from "./mocks";

test("they register what the SDK's classes register (type, inputs, provider, options, plugin version), without the aliases", async () => {
  const requests = new Map<string, { version: string; aliases: number }>();
  const ev = await evaluate({
    stack: "dev",
    projectDir: PROJECT_DIR,
    loadProgram: async () => {
      // Every registration request as the engine gets it.
      const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource: (req: any, cb: any) => Promise<void>;
      };
      const register = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req: any, cb: any) => {
        requests.set(req.getName(), { version: req.getVersion(), aliases: req.getAliasesList().length });
        return register(req, cb);
      };
      const provider = new k8s.Provider("cluster", {});
      const opts = { provider, retainOnDelete: true, dependsOn: [provider], ignoreChanges: ["metadata"] };
      const policy = {
        metadata: { name: "deny", namespace: "team" },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      };
      const binding = {
        metadata: { name: "owners", namespace: "team" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "a@example.com" }],
      };
      new k8s.networking.v1.NetworkPolicy("sdk-policy", policy, opts);
      new NetworkPolicy("own-policy", policy, opts);
      new k8s.rbac.v1.RoleBinding("sdk-binding", binding, opts);
      new RoleBinding("own-binding", binding, opts);
      return {};
    },
  });
  const registered = (name: string) => {
    const r = ev.resources.find((x) => x.name === name);
    if (!r) throw new Error(`${name} was not registered`);
    return { type: r.type, inputs: r.inputs, provider: r.provider, options: r.options, parent: r.parent };
  };
  for (const kind of ["policy", "binding"]) {
    expect(registered(`own-${kind}`)).toEqual(registered(`sdk-${kind}`));
    expect(requests.get(`own-${kind}`)).toEqual({ ...requests.get(`sdk-${kind}`), aliases: 0 });
  }
  expect(requests.get("sdk-policy")?.aliases).toBe(1);
  expect(requests.get("sdk-binding")?.aliases).toBe(2);
  expect(requests.get("own-policy")?.version).toMatch(/^\d+\.\d+\.\d+/);
});
