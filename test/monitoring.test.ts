/** GKE Managed Prometheus scrapes Ray pods (ClusterPodMonitoring) and the operator (PodMonitoring), in gke mode only. */
import { beforeAll, expect, test } from "vitest";
import { type RegisteredResource, k8sObject, ofType, sharedStack } from "./mocks";

const PM = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring";
const CPM = "kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring";
let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await sharedStack());
});

test("one ClusterPodMonitoring scrapes the metrics port of every Ray pod, head and worker, in every namespace", () => {
  const [cpm, ...more] = ofType(resources, CPM);
  expect(more).toEqual([]);
  // Its name is the series' job label: the per-team PodMonitorings' name, so dashboards keep working.
  expect(cpm?.inputs.metadata.name).toBe("ray-metrics");
  expect(cpm?.inputs.spec).toEqual({
    selector: { matchLabels: { "ray.io/is-ray-node": "yes" } },
    endpoints: [{ port: "metrics", interval: "30s" }],
  });
  // No namespace's own PodMonitoring selects Ray pods as well (they would be scraped twice).
  const podMonitorings = ofType(resources, PM);
  expect(podMonitorings.map((p) => p.inputs.metadata.namespace)).toEqual(["kuberay-system"]);
  // KubeRay labels every pod it makes ray.io/is-ray-node=yes (RAY_NODE_LABELS, render/tenancy.ts),
  // in every team's namespace; the port it names is the one every Ray container declares.
  const rcs = ofType(resources, "kubernetes:ray.io/v1:RayCluster");
  expect(new Set(rcs.map((rc) => rc.inputs.metadata.namespace))).toEqual(
    new Set(["ray-playground", "recsys", "tech-research"]),
  );
  for (const rc of rcs) {
    const templates = [
      rc.inputs.spec.headGroupSpec.template,
      ...rc.inputs.spec.workerGroupSpecs.map((g: any) => g.template),
    ];
    for (const t of templates)
      expect(t.spec.containers[0].ports, rc.name).toContainEqual({ name: "metrics", containerPort: 8080 });
  }
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
  expect(ofType(kind.resources, CPM)).toEqual([]);
});
