/**
 * The admission rules of team namespaces, evaluated with a CEL interpreter over real pod and
 * Service shapes, the way the API server evaluates a ValidatingAdmissionPolicy.
 */
import { evaluate } from "@marcbachmann/cel-js";
import { describe, expect, test } from "vitest";
import { admissionRules } from "../render/tenancyBase";
import { policyDenials } from "./admissionEval";
import { ofType, sharedStack } from "./mocks";

const ruleSpec = (name: string): any => admissionRules().find((r) => r.name === name)!.policy.spec;

/** The messages of the validations an object fails ([] when it is admitted), on a CREATE or, given `oldObject`, an UPDATE. */
const denials = (
  ruleName: string,
  object: Record<string, unknown>,
  oldObject: Record<string, unknown> | null = null,
): string[] => policyDenials(ruleSpec(ruleName), object, oldObject);

const gpu = (n: number) => ({ limits: { "nvidia.com/gpu": String(n) } });
const pod = (spec: Record<string, unknown>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p" },
  spec: { containers: [{ name: "main", image: "x" }], ...spec },
});
const T4 = { "cloud.google.com/gke-accelerator": "nvidia-tesla-t4" };
const GPU_TOLERATION = [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }];

describe("GPU pods", () => {
  test("a GPU worker as the platform renders it is admitted", () => {
    expect(
      denials(
        "ray-platform-gpu-pods",
        pod({
          containers: [{ name: "w", resources: gpu(1) }],
          nodeSelector: T4,
          priorityClassName: "ray-platform-gpu-nvidia-tesla-t4",
          tolerations: GPU_TOLERATION,
        }),
      ),
    ).toEqual([]);
  });

  test("a CPU pod (a Ray head) is admitted", () => {
    expect(
      denials("ray-platform-gpu-pods", pod({ nodeSelector: { "ray-platform/pool": "ray-head" } })),
    ).toEqual([]);
  });

  test("a GPU pod with another type's PriorityClass, or none, is denied", () => {
    const [deny] = ruleSpec("ray-platform-gpu-pods").validations;
    expect(
      denials(
        "ray-platform-gpu-pods",
        pod({
          containers: [{ name: "w", resources: gpu(1) }],
          nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-tesla-a100" },
          priorityClassName: "ray-platform-gpu-nvidia-tesla-t4",
        }),
      ),
    ).toEqual([deny.message]);
    expect(
      denials(
        "ray-platform-gpu-pods",
        pod({ containers: [{ name: "w", resources: gpu(1) }], nodeSelector: T4 }),
      ),
    ).toEqual([deny.message]);
  });

  test("GPUs asked for by an init or sidecar container count too", () => {
    const denied = denials(
      "ray-platform-gpu-pods",
      pod({
        initContainers: [
          { name: "sidecar", restartPolicy: "Always", resources: { requests: { "nvidia.com/gpu": "1" } } },
        ],
        tolerations: GPU_TOLERATION,
      }),
    );
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatch(/^Pods that use GPUs must set nodeSelector/);
  });

  test("a pod without GPUs may not select or tolerate GPU nodes, even through a catch-all toleration", () => {
    const [, deny] = ruleSpec("ray-platform-gpu-pods").validations;
    expect(denials("ray-platform-gpu-pods", pod({ nodeSelector: T4 }))).toEqual([deny.message]);
    expect(denials("ray-platform-gpu-pods", pod({ tolerations: GPU_TOLERATION }))).toEqual([deny.message]);
    expect(denials("ray-platform-gpu-pods", pod({ tolerations: [{ operator: "Exists" }] }))).toEqual([
      deny.message,
    ]);
    expect(
      denials("ray-platform-gpu-pods", pod({ tolerations: [{ key: "other", operator: "Exists" }] })),
    ).toEqual([]);
  });
});

describe("Services", () => {
  const svc = (type?: string) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "s" },
    spec: { ...(type ? { type } : {}), ports: [{ port: 80 }] },
  });
  test("ClusterIP (or no type) is admitted; LoadBalancer and NodePort are denied", () => {
    expect(denials("ray-platform-internal-services", svc())).toEqual([]);
    expect(denials("ray-platform-internal-services", svc("ClusterIP"))).toEqual([]);
    for (const type of ["LoadBalancer", "NodePort"]) {
      expect(denials("ray-platform-internal-services", svc(type))).toEqual([
        "Services in team namespaces stay inside the cluster (type ClusterIP, no externalIPs); reach them with kubectl port-forward.",
      ]);
    }
  });
});

test("every rule applies only in team namespaces, to every creator", () => {
  for (const rule of admissionRules()) {
    expect(ruleSpec(rule.name).matchConstraints.namespaceSelector).toEqual({
      matchExpressions: [{ key: "ray-platform/team", operator: "Exists" }],
    });
    expect(rule.binding.spec).toEqual({ policyName: rule.name, validationActions: ["Deny"] });
    expect(ruleSpec(rule.name).failurePolicy).toBe("Fail");
  }
});

test("every pod template of the dev stack's RayClusters, and every Service, is admitted", async () => {
  const { resources } = await sharedStack();
  const templates = ofType(resources, "kubernetes:ray.io/v1:RayCluster").flatMap((rc) => [
    rc.inputs.spec.headGroupSpec.template,
    ...rc.inputs.spec.workerGroupSpecs.map((g: any) => g.template),
  ]);
  expect(templates.length).toBe(7);
  for (const t of templates)
    expect(
      denials("ray-platform-gpu-pods", { apiVersion: "v1", kind: "Pod", metadata: t.metadata, spec: t.spec }),
    ).toEqual([]);
  for (const s of ofType(resources, "kubernetes:core/v1:Service"))
    expect(denials("ray-platform-internal-services", s.inputs)).toEqual([]);
});

describe("more ways around the rules, closed", () => {
  test("a pod without GPUs may not name a node (which skips the GPU taint)", () => {
    expect(denials("ray-platform-gpu-pods", pod({ nodeName: "gke-ray-dev-a100-1" }))).toEqual([
      ruleSpec("ray-platform-gpu-pods").validations[1].message,
    ]);
  });

  test("a ClusterIP Service with externalIPs is denied", () => {
    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec: { type: "ClusterIP", externalIPs: ["203.0.113.7"], ports: [{ port: 80 }] },
    };
    expect(denials("ray-platform-internal-services", svc)).toHaveLength(1);
  });

  test("a long-lived service account token Secret is denied; other Secrets are admitted", () => {
    const secret = (type?: string) => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", annotations: { "kubernetes.io/service-account.name": "ray" } },
      ...(type ? { type } : {}),
    });
    expect(denials("ray-platform-no-token-secrets", secret("kubernetes.io/service-account-token"))).toEqual([
      "Long-lived service account token Secrets are not allowed in team namespaces. Run the work in a RayCluster or RayJob: its pods get short-lived tokens of the team's service account by themselves.",
    ]);
    expect(denials("ray-platform-no-token-secrets", secret("Opaque"))).toEqual([]);
    expect(denials("ray-platform-no-token-secrets", secret())).toEqual([]);
  });
});

describe("updates of running pods", () => {
  // What every pod looks like once scheduled: the scheduler's binding set nodeName.
  const bound = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
    ...pod({ ...spec, nodeName: "gke-ray-dev-cpu-worker-1" }),
    metadata: { name: "p", ...metadata },
  });
  const cpuPod = bound(
    {},
    { labels: { "ray.io/cluster": "c" }, finalizers: ["batch.kubernetes.io/job-tracking"] },
  );
  const gpuPod = bound({
    containers: [{ name: "w", resources: gpu(1) }],
    nodeSelector: T4,
    priorityClassName: "ray-platform-gpu-nvidia-tesla-t4",
    tolerations: GPU_TOLERATION,
  });

  test("the Job controller may remove its finalizer from a bound pod", () => {
    expect(
      denials(
        "ray-platform-gpu-pods",
        { ...cpuPod, metadata: { name: "p", labels: { "ray.io/cluster": "c" }, finalizers: [] } },
        cpuPod,
      ),
    ).toEqual([]);
  });

  test("KubeRay may label a bound head (ray.io/serve), and owners may label or annotate any bound pod", () => {
    expect(
      denials(
        "ray-platform-gpu-pods",
        { ...cpuPod, metadata: { ...cpuPod.metadata, labels: { "ray.io/serve": "true" } } },
        cpuPod,
      ),
    ).toEqual([]);
    expect(
      denials(
        "ray-platform-gpu-pods",
        { ...gpuPod, metadata: { name: "p", annotations: { note: "x" } } },
        gpuPod,
      ),
    ).toEqual([]);
  });

  test("a spec change of a bound pod (a new toleration) is admitted unless it breaks a rule", () => {
    const tolerating = {
      ...cpuPod,
      spec: { ...cpuPod.spec, tolerations: [{ key: "other", operator: "Exists" }] },
    };
    expect(denials("ray-platform-gpu-pods", tolerating, cpuPod)).toEqual([]);
    const gpuTolerating = { ...cpuPod, spec: { ...cpuPod.spec, tolerations: GPU_TOLERATION } };
    expect(denials("ray-platform-gpu-pods", gpuTolerating, cpuPod)).toEqual([
      ruleSpec("ray-platform-gpu-pods").validations[1].message,
    ]);
  });

  test("creating a pod that names a node is still denied", () => {
    expect(denials("ray-platform-gpu-pods", cpuPod)).toEqual([
      ruleSpec("ray-platform-gpu-pods").validations[1].message,
    ]);
  });

  test("every rule skips updates that change only metadata, and evaluates creates", () => {
    // The own-pods rule holds for members, who cannot update NetworkPolicies at all.
    const rules = admissionRules().filter((r) => r.name !== "ray-platform-own-pods-policies");
    expect(rules.length).toBe(admissionRules().length - 1);
    for (const rule of rules) {
      const [condition] = ruleSpec(rule.name).matchConditions;
      const obj = { metadata: { name: "x" }, spec: { a: 1 } };
      expect(
        evaluate(condition.expression, {
          request: { operation: "UPDATE" },
          object: { ...obj, metadata: { name: "x", labels: { l: "1" } } },
          oldObject: obj,
        }),
      ).toBe(false);
      expect(
        evaluate(condition.expression, {
          request: { operation: "UPDATE" },
          object: { ...obj, spec: { a: 2 } },
          oldObject: obj,
        }),
      ).toBe(true);
      expect(
        evaluate(condition.expression, { request: { operation: "CREATE" }, object: obj, oldObject: null }),
      ).toBe(true);
    }
  });
});
