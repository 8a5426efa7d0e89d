/** GKE Managed Prometheus scrapes Ray pods and the operator (PodMonitoring), in gke mode only. */
import { beforeAll, expect, test } from "vitest";
import { type RegisteredResource, k8sObject, ofType, sharedStack } from "./mocks";

const PM = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring";
let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await sharedStack());
});

test("every team namespace has a PodMonitoring that scrapes the metrics port of every Ray pod, head and worker", () => {
  const teams = ofType(resources, "kubernetes:core/v1:Namespace")
    .filter((n) => n.inputs.metadata.labels?.["ray-platform/team"])
    .map((n) => n.inputs.metadata.name);
  expect(teams.length).toBe(3);
  for (const team of teams) {
    expect(k8sObject(resources, PM, team, "ray-metrics").spec).toEqual({
      selector: { matchLabels: { "ray.io/is-ray-node": "yes" } },
      endpoints: [{ port: "metrics", interval: "30s" }],
    });
  }
  // The port it names is the one every Ray container declares.
  const rc = k8sObject(resources, "kubernetes:ray.io/v1:RayCluster", "recsys", "two-tower");
  const containers = [
    rc.spec.headGroupSpec.template,
    ...rc.spec.workerGroupSpecs.map((g: any) => g.template),
  ].map((t: any) => t.spec.containers[0]);
  for (const c of containers) expect(c.ports).toContainEqual({ name: "metrics", containerPort: 8080 });
});

test("the KubeRay operator's metrics are scraped from its chart's http port", () => {
  const pm = k8sObject(resources, PM, "kuberay-system", "kuberay-operator");
  expect(pm.spec).toEqual({
    selector: { matchLabels: { "app.kubernetes.io/name": "kuberay-operator" } },
    endpoints: [{ port: "http", interval: "30s" }],
  });
});

test("a cluster without Managed Prometheus (existing mode) gets no PodMonitoring", async () => {
  const kind = await sharedStack("kind");
  expect(ofType(kind.resources, "kubernetes:core/v1:Namespace").length).toBeGreaterThan(0);
  expect(ofType(kind.resources, PM)).toEqual([]);
});
