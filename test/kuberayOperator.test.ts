/** The KubeRay operator: pinned CRDs applied by the program, the chart without them. */
import { beforeAll, describe, expect, test } from "vitest";
import { operatorValues } from "../components/kuberayOperator";
import { configProblems, type RegisteredResource, ofType, one, runProgram, teamsDir } from "./mocks";

let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await runProgram());
});
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("CRDs", () => {
  test("the four KubeRay CRDs of the pinned version, guarded against deletion", () => {
    const crds = ofType(resources, CRD);
    expect(crds.map((c) => c.inputs.metadata.name).sort()).toEqual(["rayclusters.ray.io", "raycronjobs.ray.io", "rayjobs.ray.io", "rayservices.ray.io"]);
    for (const c of crds) {
      expect(c.options.retainOnDelete, c.name).toBe(true);
      expect(c.inputs.metadata.labels["ray-platform/kuberay-version"]).toBe("1.7.0");
      // Server-side apply takes over fields an earlier Helm install of the CRDs may own.
      expect(c.inputs.metadata.annotations["pulumi.com/patchForce"]).toBe("true");
      expect(c.inputs.spec.group).toBe("ray.io");
    }
  });

  test("are applied with server-side apply (the RayCluster CRD is too large for client-side apply)", () => {
    expect(one(resources, "pulumi:providers:kubernetes", "gke-k8s").inputs.enableServerSideApply).toBe("true");
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
      resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } },
      metrics: { enabled: true },
      singleNamespaceInstall: false,
    });
  });

  test("waits for the CRDs and the system pool", () => {
    const release = one(resources, RELEASE, "kuberay-release");
    const crdUrns = ofType(resources, CRD).map((c) => c.urn);
    expect(release.options.dependsOn).toEqual(expect.arrayContaining([...crdUrns, one(resources, "gcp:container/nodePool:NodePool", "gke-system").urn]));
  });

  test("stack values are merged over the program's, lists replaced", () => {
    const values = operatorValues({
      kuberay: { version: "1.7.0", namespace: "kuberay-system", crds: [], values: { resources: { limits: { memory: "2Gi" } }, tolerations: [{ key: "a", operator: "Exists" }], batchScheduler: { enabled: true } } },
      systemPool: undefined,
    });
    expect(values).toMatchObject({ resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "2Gi" } }, tolerations: [{ key: "a", operator: "Exists" }], batchScheduler: { enabled: true }, nodeSelector: {} });
  });
});

test("RayClusters wait for their CRD, not for the operator's rollout", async () => {
  const rc = one(resources, "ray-platform:ray:RayCluster", "recsys-two-tower");
  const crd = ofType(resources, CRD).find((c) => c.inputs.metadata.name === "rayclusters.ray.io")!;
  expect(rc.options.dependsOn).toContain(crd.urn);
  expect(rc.options.dependsOn).not.toContain(one(resources, RELEASE, "kuberay-release").urn);
});

test("a team cannot take the operator's namespace", () => {
  const dir = teamsDir({ "kuberay-system.yaml": "name: kuberay-system\ndescription: x\nowners: [user:a@example.com]\nquota: { cpu: 1, memory: 1Gi }\n" });
  expect(configProblems({ teams: dir })[0]).toMatch(/^teams\/kuberay-system\.yaml:1:7 name: "kuberay-system" is a system or platform namespace/);
});
