/** Every Kubernetes object the program renders passes the schema of its kind. */
import { expect, test } from "vitest";
import { validatePlanManifests } from "../plan/schemas";
import { runProgram } from "./mocks";

test.each(["dev", "kind"])("the %s stack's objects all pass Kubernetes' and the CRDs' schemas", async (stack) => {
  const { resources } = await runProgram({ stack });
  const kinds = new Set(resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh")).map((r) => r.inputs.kind));
  expect([...kinds]).toEqual(expect.arrayContaining(["Namespace", "ResourceQuota", "LimitRange", "RoleBinding", "NetworkPolicy", "ServiceAccount", "RayCluster", "CustomResourceDefinition", "ValidatingAdmissionPolicy"]));
  expect(validatePlanManifests(resources)).toEqual([]);
});

test("the check reports an object Kubernetes would refuse", async () => {
  const { resources } = await runProgram({ stack: "kind" });
  const ns = resources.find((r) => r.type === "kubernetes:core/v1:ResourceQuota" && (r.inputs as any).metadata.namespace === "smoke")!;
  (ns.inputs as any).spec.hard = "lots";
  expect(validatePlanManifests(resources)).toEqual([expect.stringMatching(/^ResourceQuota smoke\/team-quota: .*hard/)]);
});
