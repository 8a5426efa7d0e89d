/** The KubeRay operator: pinned CRDs applied by the program, the chart without them. */
import { beforeAll, describe, expect, test } from "vitest";
import { catalog } from "../config/catalog";
import { parseQuantity } from "../config/quantity";
import { mergeValues, operatorValues } from "../config/operatorValues";
import { configProblems, type RegisteredResource, ofType, one, teamsDir, sharedStack } from "./mocks";

let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await sharedStack());
});
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("CRDs", () => {
  test("the four KubeRay CRDs of the pinned version, guarded against deletion", () => {
    const crds = ofType(resources, CRD).filter((c) => c.inputs.spec.group === "ray.io");
    expect(crds.map((c) => c.inputs.metadata.name).sort()).toEqual([
      "rayclusters.ray.io",
      "raycronjobs.ray.io",
      "rayjobs.ray.io",
      "rayservices.ray.io",
    ]);
    for (const c of crds) {
      expect(c.options.retainOnDelete, c.name).toBe(true);
      expect(c.inputs.metadata.labels["ray-platform/kuberay-version"]).toBe("1.7.0");
      // Server-side apply takes over fields an earlier Helm install of the CRDs may own.
      expect(c.inputs.metadata.annotations["pulumi.com/patchForce"]).toBe("true");
      expect(c.inputs.spec.group).toBe("ray.io");
    }
  });

  test("are applied with server-side apply (the RayCluster CRD is too large for client-side apply)", () => {
    expect(one(resources, "pulumi:providers:kubernetes", "gke-k8s").inputs.enableServerSideApply).toBe(
      "true",
    );
    const rayclusters = ofType(resources, CRD).find((c) => c.inputs.metadata.name === "rayclusters.ray.io")!;
    expect(JSON.stringify(rayclusters.inputs).length).toBeGreaterThan(262144);
  });
});

describe("Helm release", () => {
  test("installs kuberay-operator at the pinned version from the KubeRay chart repository, without CRDs", () => {
    const release = one(resources, RELEASE, "kuberay-release").inputs;
    expect(release).toMatchObject({
      name: "kuberay-operator",
      chart: "kuberay-operator",
      version: "1.7.0",
      repositoryOpts: { repo: "https://ray-project.github.io/kuberay-helm/" },
      namespace: "kuberay-system",
      skipCrds: true,
      atomic: true,
    });
  });

  test("runs on the system pool with requests and metrics on", () => {
    expect(one(resources, RELEASE, "kuberay-release").inputs.values).toEqual({
      nodeSelector: { "ray-platform/pool": "system" },
      resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
      metrics: { enabled: true },
      singleNamespaceInstall: false,
    });
  });

  test("waits for the CRDs and the system pool", () => {
    const release = one(resources, RELEASE, "kuberay-release");
    const crdUrns = ofType(resources, CRD)
      .filter((c) => c.inputs.spec.group === "ray.io")
      .map((c) => c.urn);
    expect(release.options.dependsOn).toEqual(
      expect.arrayContaining([
        ...crdUrns,
        one(resources, "gcp:container/nodePool:NodePool", "gke-system").urn,
      ]),
    );
  });

  test("stack values are merged over the program's, lists replaced", () => {
    const values = operatorValues(
      {
        resources: { limits: { memory: "2Gi" } },
        tolerations: [{ key: "a", operator: "Exists" }],
        batchScheduler: { enabled: true },
      },
      undefined,
    );
    expect(values).toMatchObject({
      resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
      tolerations: [{ key: "a", operator: "Exists" }],
      batchScheduler: { enabled: true },
      nodeSelector: {},
    });
  });

  test("with the chart's own defaults merged under them, as Helm does, no request exceeds its limit", () => {
    const chart = catalog().kuberayChartValues("1.7.0");
    expect((chart.resources as any).limits.cpu).toBe("100m"); // the trap: the chart limits CPU to 100m
    const effective = mergeValues(chart, one(resources, RELEASE, "kuberay-release").inputs.values)
      .resources as any;
    for (const key of ["cpu", "memory"])
      expect(parseQuantity(effective.requests[key])!).toBeLessThanOrEqual(
        parseQuantity(effective.limits[key])!,
      );
  });

  test("stack values that would put a request above a limit are refused before anything is registered", () => {
    const problems = configProblems({
      fixture: true,
      overrides: {
        "ray-platform:kuberay": { version: "1.7.0", values: { resources: { requests: { cpu: "2" } } } },
      },
    });
    expect(problems).toEqual([
      "Pulumi.dev.yaml:47:5 ray-platform:kuberay.values: the operator would request cpu 2 above its limit 1 (chart defaults, then the program's, then these values); set resources.limits.cpu at least 2.",
    ]);
  });
});

test("RayClusters wait for their CRD, not for the operator's rollout", async () => {
  const rc = one(resources, "ray-platform:ray:RayCluster", "recsys/two-tower");
  const crd = ofType(resources, CRD).find((c) => c.inputs.metadata.name === "rayclusters.ray.io")!;
  expect(rc.options.dependsOn).toContain(crd.urn);
  expect(rc.options.dependsOn).not.toContain(one(resources, RELEASE, "kuberay-release").urn);
});

test("a team cannot take the operator's namespace", () => {
  const dir = teamsDir({
    "kuberay-system.yaml":
      "name: kuberay-system\ndescription: x\nowners: [user:a@example.com]\nquota: { cpu: 1, memory: 1Gi }\n",
  });
  expect(configProblems({ teams: dir })[0]).toMatch(
    /^teams\/kuberay-system\.yaml:1:7 name: "kuberay-system" is a system or platform namespace/,
  );
});
