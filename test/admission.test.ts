/**
 * The admission rules of team namespaces, evaluated with a CEL interpreter over real pod,
 * Service, RayCluster and RayJob shapes and requests of the Ray pods' account, the way the API
 * server evaluates a ValidatingAdmissionPolicy; which requests each rule applies to, and that
 * the API server accepts each rule. A refusal's message is asserted word for word: it says what
 * to do. Mutation testing of render/rayClusterAdmission.ts leaves no mutant alive.
 */
import { evaluate } from "@marcbachmann/cel-js";
import { describe, expect, test } from "vitest";
import {
  type AdmissionContext,
  autoscalerAccountAdmission,
  rayClusterAdmission,
  rayClusterFields,
  rayJobAdmission,
} from "../render/rayClusterAdmission";
import { admissionRules } from "../render/tenancyBase";
import { type MatchedRequest, apiServerProblems, applies, policyDenials } from "./admissionEval";
import { loadConfig, ofType, sharedStack } from "./mocks";

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

/** The RayCluster, RayJob and Ray-account rules as the dev stack makes them (components/platform.ts). */
const PREFIX = "my-ml-platform-dev-ray-";
const CRDS = loadConfig().kuberay.crds;
// Made in each test, not when the file loads: a rayClusterFields that throws must fail tests
// (Stryker counts a test file that fails to load as no test failing).
const fields = () => rayClusterFields(CRDS);
const gke = (): AdmissionContext => ({ bucketPrefix: PREFIX, rayCluster: fields() });
const kind = (): AdmissionContext => ({ rayCluster: fields() });
const rcSpec = (ctx = gke()): any => rayClusterAdmission(ctx).policy.spec;
const rjSpec = (ctx = gke()): any => rayJobAdmission(ctx).policy.spec;

const tokenEnv = (cluster: string, key = "auth_token") => ({
  name: "RAY_AUTH_TOKEN",
  valueFrom: { secretKeyRef: { name: `${cluster}-token`, key } },
});
/** A pod template as the platform renders it for a team's cluster: its volumes of every admitted kind. */
const template = (cluster: string, container: string) => ({
  spec: {
    serviceAccountName: "ray",
    containers: [{ name: container, image: "rayproject/ray:2.52.0", env: [tokenEnv(cluster)] }],
    volumes: [
      { name: "tmp", emptyDir: {} },
      { name: "code", configMap: { name: `${cluster}-code` } },
      { name: "data", persistentVolumeClaim: { claimName: "data" } },
      {
        name: "bucket",
        csi: { driver: "gcsfuse.csi.storage.gke.io", volumeAttributes: { bucketName: `${PREFIX}recsys` } },
      },
    ],
  },
});
const rayClusterObject = (name = "two-tower"): any => ({
  apiVersion: "ray.io/v1",
  kind: "RayCluster",
  metadata: { name, namespace: "recsys" },
  spec: {
    rayVersion: "2.52.0",
    authOptions: { mode: "token", secretName: `${name}-token` },
    enableInTreeAutoscaling: true,
    autoscalerOptions: { version: "v2", env: [tokenEnv(name)] },
    headGroupSpec: { rayStartParams: {}, template: template(name, "ray-head") },
    workerGroupSpecs: [
      {
        groupName: "cpu",
        minReplicas: 0,
        maxReplicas: 4,
        rayStartParams: {},
        template: template(name, "ray-worker"),
      },
    ],
  },
});
/** `rc` changed by `change` (a copy). */
const changed = (rc: any, change: (rc: any) => void) => {
  const copy = structuredClone(rc);
  change(copy);
  return copy;
};

/** What each refusal tells the contributor, word for word. */
const SAYS = {
  account: (what: string) =>
    `${what} run as the team's service account "ray": set serviceAccountName to ray (or leave it out) in every pod template.`,
  volumes: (what: string, bucket: string) =>
    `${what} may mount emptyDir, ConfigMap and PersistentVolumeClaim volumes${bucket}; not Secrets, projected tokens, host paths or other volumes. Work that needs a Secret runs outside team namespaces, where contributors cannot exec into it: ask the platform team.`,
  gkeBucket: `, and the team's bucket (CSI gcsfuse.csi.storage.gke.io, bucketName ${PREFIX}<team>)`,
  secrets: (what: string) =>
    `${what} may read no Secret but the RayCluster's own token (<cluster>-token, key auth_token): no secretKeyRef to other Secrets, envFrom secretRef or imagePullSecrets. Work that needs a Secret runs outside team namespaces, where contributors cannot exec into it: ask the platform team.`,
  ingress:
    "RayClusters stay inside the cluster: remove headGroupSpec.enableIngress and reach the dashboard with kubectl port-forward.",
  token:
    "A RayCluster's token is its own Secret: set authOptions.secretName to <cluster>-token, or <job>-token for the cluster of a RayJob (rayctl and team files do).",
  fields:
    "RayClusters may set only authOptions, autoscalerOptions, enableInTreeAutoscaling, headGroupSpec, managedBy, rayVersion, suspend, upgradeStrategy, workerGroupSpecs in their spec; remove gcsFaultToleranceOptions, headServiceAnnotations, historyServerOptions, networkPolicy, tlsOptions. Ask the platform team for anything else.",
};

describe("RayClusters", () => {
  test("a cluster as the platform renders it is admitted, with or without workers and autoscaler, and with what Kueue and KubeRay set", () => {
    const rc = rayClusterObject();
    expect(policyDenials(rcSpec(), rc)).toEqual([]);
    expect(
      policyDenials(
        rcSpec(),
        changed(rc, (c) => delete c.spec.workerGroupSpecs),
      ),
    ).toEqual([]);
    const fixed = changed(rc, (c) => {
      delete c.spec.enableInTreeAutoscaling;
      delete c.spec.autoscalerOptions;
    });
    expect(policyDenials(rcSpec(), fixed)).toEqual([]);
    // Kueue suspends a queued cluster and may hand it to MultiKueue; rollouts set upgradeStrategy.
    const managed = changed(rc, (c) => {
      c.spec.suspend = true;
      c.spec.managedBy = "kueue.x-k8s.io/multikueue";
      c.spec.upgradeStrategy = { type: "Recreate" };
      c.spec.headGroupSpec.enableIngress = false;
    });
    expect(policyDenials(rcSpec(), managed)).toEqual([]);
    // An update that changes the spec is judged the same way.
    const scaled = changed(rc, (c) => (c.spec.workerGroupSpecs[0].maxReplicas = 8));
    expect(policyDenials(rcSpec(), scaled, rc)).toEqual([]);
  });

  test("a refused cluster's message says what to do: the account, volumes, Secrets, Ingress, token and spec fields", () => {
    const rc = rayClusterObject();
    const deny = (change: (c: any) => void) => policyDenials(rcSpec(), changed(rc, change));
    const what = "RayCluster pods";
    expect(deny((c) => (c.spec.workerGroupSpecs[0].template.spec.serviceAccountName = "default"))).toEqual([
      SAYS.account(what),
    ]);
    expect(
      deny((c) =>
        c.spec.headGroupSpec.template.spec.volumes.push({ name: "s", secret: { secretName: "db" } }),
      ),
    ).toEqual([SAYS.volumes(what, SAYS.gkeBucket)]);
    expect(
      deny((c) =>
        c.spec.headGroupSpec.template.spec.containers[0].env.push({
          name: "P",
          valueFrom: { secretKeyRef: { name: "db-password", key: "password" } },
        }),
      ),
    ).toEqual([SAYS.secrets(what)]);
    expect(deny((c) => (c.spec.headGroupSpec.enableIngress = true))).toEqual([SAYS.ingress]);
    expect(deny((c) => (c.spec.authOptions.secretName = "db-password"))).toEqual([SAYS.token]);
    expect(deny((c) => (c.spec.tlsOptions = {}))).toEqual([SAYS.fields]);
  });

  test("the cluster's own token may be read under its key only, and init containers are held to it too", () => {
    const rc = rayClusterObject();
    const deny = (change: (c: any) => void) => policyDenials(rcSpec(), changed(rc, change));
    const secrets = [SAYS.secrets("RayCluster pods")];
    expect(
      deny(
        (c) => (c.spec.headGroupSpec.template.spec.containers[0].env = [tokenEnv("two-tower", "password")]),
      ),
    ).toEqual(secrets);
    expect(
      deny(
        (c) =>
          (c.spec.workerGroupSpecs[0].template.spec.initContainers = [
            { name: "init", image: "x", env: [tokenEnv("other")] },
          ]),
      ),
    ).toEqual(secrets);
    expect(
      deny((c) => (c.spec.workerGroupSpecs[0].template.spec.initContainers = [{ name: "init", image: "x" }])),
    ).toEqual([]);
  });

  test("the autoscaler's container reads no other Secret either: env and envFrom in autoscalerOptions", () => {
    const rc = rayClusterObject();
    const deny = (change: (c: any) => void) => policyDenials(rcSpec(), changed(rc, change));
    const secrets = [SAYS.secrets("RayCluster pods")];
    expect(deny((c) => c.spec.autoscalerOptions.env.push(tokenEnv("db")))).toEqual(secrets);
    expect(deny((c) => (c.spec.autoscalerOptions.envFrom = [{ secretRef: { name: "db" } }]))).toEqual(
      secrets,
    );
    expect(deny((c) => (c.spec.autoscalerOptions.envFrom = [{ configMapRef: { name: "c" } }]))).toEqual([]);
  });

  test("a cluster KubeRay makes for a RayJob may use the job's token, when the job is its controller", () => {
    const made = changed(rayClusterObject("train-a-x7k2p"), (c) => {
      c.spec.authOptions.secretName = "train-a-token";
      c.spec.headGroupSpec.template.spec.containers[0].env = [tokenEnv("train-a")];
      c.metadata.ownerReferences = [
        { apiVersion: "ray.io/v1", kind: "RayJob", name: "train-a", uid: "u", controller: true },
      ];
    });
    expect(policyDenials(rcSpec(), made)).toEqual([]);
    for (const ref of [
      { apiVersion: "ray.io/v1", kind: "RayJob", name: "train-a", uid: "u" },
      { apiVersion: "ray.io/v1", kind: "RayService", name: "train-a", uid: "u", controller: true },
      { apiVersion: "v1", kind: "RayJob", name: "train-a", uid: "u", controller: true },
    ])
      expect(
        policyDenials(
          rcSpec(),
          changed(made, (c) => (c.metadata.ownerReferences = [ref])),
        ),
        JSON.stringify(ref),
      ).toEqual([SAYS.secrets("RayCluster pods"), SAYS.token]);
  });

  test("without a bucket prefix (kind), no CSI bucket may be mounted, and the message names none", () => {
    const rc = rayClusterObject();
    expect(policyDenials(rcSpec(kind()), rc)).toEqual([SAYS.volumes("RayCluster pods", "")]);
    const noBucket = changed(rc, (c) => {
      for (const t of [c.spec.headGroupSpec.template, c.spec.workerGroupSpecs[0].template])
        t.spec.volumes = t.spec.volumes.filter((v: any) => !v.csi);
    });
    expect(policyDenials(rcSpec(kind()), noBucket)).toEqual([]);
    // Whatever bucket it names: not the team's (no prefix), nor one named as a missing prefix reads.
    for (const bucketName of ["recsys", "undefinedrecsys"]) {
      const named = changed(noBucket, (c) =>
        c.spec.headGroupSpec.template.spec.volumes.push({
          name: "bucket",
          csi: { driver: "gcsfuse.csi.storage.gke.io", volumeAttributes: { bucketName } },
        }),
      );
      expect(policyDenials(rcSpec(kind()), named), bucketName).toEqual([SAYS.volumes("RayCluster pods", "")]);
    }
  });
});

describe("RayJobs", () => {
  const job = (submitter?: Record<string, unknown>) => ({
    apiVersion: "ray.io/v1",
    kind: "RayJob",
    metadata: { name: "train-a", namespace: "recsys" },
    spec: {
      entrypoint: "python train.py",
      ...(submitter
        ? { submitterPodTemplate: { spec: { containers: [{ name: "submit", image: "x" }], ...submitter } } }
        : {}),
    },
  });
  const what = "RayJob submitter pods";

  test("a job with or without a submitter template of the team's account is admitted", () => {
    expect(policyDenials(rjSpec(), job())).toEqual([]);
    expect(
      policyDenials(
        rjSpec(),
        job({ serviceAccountName: "ray", volumes: [{ name: "w", configMap: { name: "w" } }] }),
      ),
    ).toEqual([]);
  });

  test("a refused submitter's message says what to do; it may read no Secret at all, not even a token", () => {
    expect(policyDenials(rjSpec(), job({ serviceAccount: "builder" }))).toEqual([SAYS.account(what)]);
    expect(policyDenials(rjSpec(), job({ volumes: [{ name: "h", hostPath: { path: "/" } }] }))).toEqual([
      SAYS.volumes(what, SAYS.gkeBucket),
    ]);
    expect(policyDenials(rjSpec(kind()), job({ volumes: [{ name: "h", hostPath: { path: "/" } }] }))).toEqual(
      [SAYS.volumes(what, "")],
    );
    // KubeRay gives the submitter the cluster's token itself.
    expect(
      policyDenials(
        rjSpec(),
        job({ containers: [{ name: "submit", image: "x", env: [tokenEnv("train-a")] }] }),
      ),
    ).toEqual([SAYS.secrets(what)]);
    expect(policyDenials(rjSpec(), job({ imagePullSecrets: [{ name: "registry" }] }))).toEqual([
      SAYS.secrets(what),
    ]);
  });
});

describe("the RayCluster fields the rule reads from KubeRay's CRD", () => {
  const rayclusterCrd = () =>
    structuredClone(CRDS.find((c: any) => c.metadata?.name === "rayclusters.ray.io"));

  test("the v1 schema's fields, sorted, whatever order the CRD lists versions and fields in", () => {
    const crd: any = rayclusterCrd();
    crd.spec.versions.reverse();
    const v1 = crd.spec.versions.find((v: any) => v.name === "v1").schema.openAPIV3Schema.properties.spec;
    v1.properties = Object.fromEntries(Object.entries(v1.properties).reverse());
    const groups = v1.properties.workerGroupSpecs.items;
    groups.properties = Object.fromEntries(Object.entries(groups.properties).reverse());
    expect(crd.spec.versions[0].name).not.toBe("v1");
    expect(rayClusterFields([{}, crd])).toEqual(fields());
    expect(fields().workerGroup).toEqual([...fields().workerGroup].sort());
    expect(fields().workerGroup).toContain("replicas");
  });

  test("a CRD without worker groups has no worker group fields", () => {
    const crd: any = rayclusterCrd();
    const props = crd.spec.versions.find((v: any) => v.name === "v1").schema.openAPIV3Schema.properties.spec
      .properties;
    delete props.workerGroupSpecs.items;
    expect(rayClusterFields([crd]).workerGroup).toEqual([]);
    delete props.workerGroupSpecs;
    expect(rayClusterFields([crd])).toEqual({
      spec: fields().spec.filter((f) => f !== "workerGroupSpecs"),
      workerGroup: [],
    });
  });

  test("without a v1 RayCluster CRD, the program stops and says so", () => {
    const noV1: any = rayclusterCrd();
    noV1.spec.versions = noV1.spec.versions.filter((v: any) => v.name !== "v1");
    for (const crds of [[], CRDS.filter((c: any) => c.metadata?.name !== "rayclusters.ray.io"), [noV1]])
      expect(() => rayClusterFields(crds)).toThrow("the pinned KubeRay CRDs have no v1 RayCluster schema");
  });

  test("a CRD whose every spec field is admitted leaves the rule nothing to refuse", () => {
    const ctx = {
      bucketPrefix: PREFIX,
      rayCluster: { spec: ["headGroupSpec", "workerGroupSpecs"], workerGroup: [] },
    };
    const rc = changed(rayClusterObject(), (c) => (c.spec.tlsOptions = {}));
    expect(policyDenials(rcSpec(ctx), rc)).toEqual([]);
  });
});

describe("the Ray pods' account", () => {
  const spec = (): any => autoscalerAccountAdmission(gke()).policy.spec;
  /** A request of the account `ray` of `namespace`, its token bound to `pod` (as a pod's projected token is). */
  const asRay = (pod: string | undefined, resource = "rayclusters", subResource = "", username?: string) => ({
    namespace: "recsys",
    userInfo: {
      username: username ?? "system:serviceaccount:recsys:ray",
      extra: pod ? { "authentication.kubernetes.io/pod-name": [pod] } : {},
    },
    resource: { group: resource === "rayclusters" ? "ray.io" : "", version: "v1", resource },
    subResource,
  });
  const HEAD = "two-tower-head-x7k2p";
  const update = (rc: any, change: (c: any) => void, request = asRay(HEAD)) =>
    policyDenials(spec(), changed(rc, change), rc, { request });
  const SAYS_HEAD =
    "Ray pods' account (ray) changes a RayCluster only from that cluster's own head (its autoscaler).";
  const SAYS_COUNTS =
    "Ray pods' account (ray) changes a RayCluster only as its autoscaler does: worker groups' replicas and scaleStrategy. Change anything else in the team file or with rayctl.";
  const SAYS_PODS = "Ray pods' account (ray) changes no pod's spec or resources.";

  test("from the cluster's head it changes the worker groups' replicas and scaleStrategy, as the autoscaler does", () => {
    const rc = rayClusterObject();
    expect(update(rc, (c) => (c.spec.workerGroupSpecs[0].replicas = 3))).toEqual([]);
    expect(
      update(
        rc,
        (c) =>
          (c.spec.workerGroupSpecs[0].scaleStrategy = { workersToDelete: ["two-tower-cpu-worker-abcde"] }),
      ),
    ).toEqual([]);
    const fixed = changed(rc, (c) => delete c.spec.workerGroupSpecs);
    expect(update(fixed, (c) => (c.spec.suspend = false), asRay(HEAD))).toEqual([SAYS_COUNTS]);
  });

  test("it changes nothing else of the cluster: not a template, a bound, a label, the head, the groups", () => {
    const rc = rayClusterObject();
    for (const [what, change] of [
      [
        "image",
        (c: any) => (c.spec.workerGroupSpecs[0].template.spec.containers[0].image = "attacker/image"),
      ],
      ["maxReplicas", (c: any) => (c.spec.workerGroupSpecs[0].maxReplicas = 40)],
      ["a group field it did not set", (c: any) => (c.spec.workerGroupSpecs[0].suspend = true)],
      ["a label", (c: any) => (c.metadata.labels = { "kueue.x-k8s.io/queue-name": "other" })],
      ["an annotation", (c: any) => (c.metadata.annotations = { note: "x" })],
      ["the head", (c: any) => (c.spec.headGroupSpec.rayStartParams = { "num-cpus": "8" })],
      ["the version", (c: any) => (c.spec.rayVersion = "2.53.0")],
      ["a spec field it did not set", (c: any) => (c.spec.suspend = true)],
      ["a new group", (c: any) => c.spec.workerGroupSpecs.push(structuredClone(c.spec.workerGroupSpecs[0]))],
      ["no groups", (c: any) => delete c.spec.workerGroupSpecs],
    ] as const)
      expect(update(rc, change), what).toEqual([SAYS_COUNTS]);
    const headOnly = changed(rc, (c) => delete c.spec.workerGroupSpecs);
    expect(update(headOnly, (c) => (c.spec.workerGroupSpecs = rc.spec.workerGroupSpecs))).toEqual([
      SAYS_COUNTS,
    ]);
  });

  test("only the cluster's own head: not its workers, not another cluster's head, not an unbound token", () => {
    const rc = rayClusterObject();
    const scale = (c: any) => (c.spec.workerGroupSpecs[0].replicas = 3);
    for (const pod of ["two-tower-cpu-worker-abcde", "other-head-x7k2p", undefined])
      expect(update(rc, scale, asRay(pod)), String(pod)).toEqual([SAYS_HEAD]);
    // KubeRay names the head <cluster>-head- and the API server adds 5 characters (generateName):
    // a pod whose name only starts so is another's, a worker of a group named `head` or the
    // head of a cluster named two-tower-head-x.
    for (const pod of ["two-tower-head-worker-abcde", "two-tower-head-x-head-abcde"])
      expect(update(rc, scale, asRay(pod)), pod).toEqual([SAYS_HEAD]);
    // KubeRay cuts a long cluster name to 50 characters in its head pod's name.
    const long = rayClusterObject("a-cluster-with-a-name-longer-than-fifty-characters-of-text");
    expect(
      update(long, scale, asRay("a-cluster-with-a-name-longer-than-fifty-characters-head-x7k2p")),
    ).toEqual([]);
  });

  test("it changes no pod: neither its spec nor, through pods/resize, its resources; labels it may", () => {
    const p = { ...pod({}), metadata: { name: "two-tower-head-x7k2p", namespace: "recsys" } };
    const asPods = (sub = "") => ({ request: asRay(HEAD, "pods", sub) });
    const image = { ...p, spec: { containers: [{ name: "main", image: "attacker/image" }] } };
    expect(policyDenials(spec(), image, p, asPods())).toEqual([SAYS_PODS]);
    const resized = { ...p, spec: { containers: [{ name: "main", image: "x", resources: gpu(1) }] } };
    expect(policyDenials(spec(), resized, p, asPods("resize"))).toEqual([SAYS_PODS]);
    expect(policyDenials(spec(), p, p, asPods("resize"))).toEqual([SAYS_PODS]);
    const labelled = { ...p, metadata: { ...p.metadata, labels: { "ray.io/serve": "true" } } };
    expect(policyDenials(spec(), labelled, p, asPods())).toEqual([]);
  });

  test("the rule is about that account alone: other accounts, and ray of another namespace, are not held to it", () => {
    const rc = rayClusterObject();
    const image = (c: any) => (c.spec.workerGroupSpecs[0].template.spec.containers[0].image = "x:2");
    for (const user of [
      "system:serviceaccount:recsys:default",
      "system:serviceaccount:other:ray",
      "alice@example.com",
    ])
      expect(update(rc, image, asRay(undefined, "rayclusters", "", user)), user).toEqual([]);
  });
});

describe("every rule of team namespaces", () => {
  const all = () => [
    ...admissionRules(),
    rayClusterAdmission(gke()),
    rayJobAdmission(gke()),
    autoscalerAccountAdmission(gke()),
    rayClusterAdmission(kind()),
    rayJobAdmission(kind()),
  ];
  const TEAM = { "ray-platform/team": "recsys", "kubernetes.io/metadata.name": "recsys" };
  const request = (
    resource: string,
    operation: MatchedRequest["operation"],
    more: Partial<MatchedRequest> = {},
  ) => ({
    group: resource.startsWith("ray") ? "ray.io" : "",
    version: "v1",
    resource,
    operation,
    namespaceLabels: TEAM,
    ...more,
  });
  const appliesTo = (rule: { policy: any }) =>
    [
      request("rayclusters", "CREATE"),
      request("rayclusters", "UPDATE"),
      request("rayjobs", "CREATE"),
      request("rayjobs", "UPDATE"),
      request("pods", "CREATE"),
      request("pods", "UPDATE"),
      request("pods", "UPDATE", { subResource: "resize" }),
      request("pods", "UPDATE", { subResource: "status" }),
      request("rayclusters", "UPDATE", { subResource: "status" }),
      request("rayclusters", "DELETE"),
    ]
      .filter((r) => applies(rule.policy.spec, r))
      .map((r) => `${r.operation} ${r.resource}${r.subResource ? "/" + r.subResource : ""}`);

  test("is one the API server accepts, fails closed and denies", () => {
    for (const { name, policy, binding } of all() as { name: string; policy: any; binding: any }[]) {
      expect(apiServerProblems({ policy, binding }), name).toEqual([]);
      expect(policy.spec.failurePolicy, name).toBe("Fail");
      expect(binding.spec.validationActions, name).toEqual(["Deny"]);
      expect(binding.metadata.name, name).toBe(name);
    }
    expect(new Set(all().map((r) => r.name)).size).toBe(all().length - 2);
  });

  test("the RayCluster, RayJob and Ray-account rules apply to what they are about, in team namespaces only", () => {
    expect(appliesTo(rayClusterAdmission(gke()))).toEqual(["CREATE rayclusters", "UPDATE rayclusters"]);
    expect(appliesTo(rayJobAdmission(gke()))).toEqual(["CREATE rayjobs", "UPDATE rayjobs"]);
    expect(appliesTo(autoscalerAccountAdmission(gke()))).toEqual([
      "UPDATE rayclusters",
      "UPDATE pods",
      "UPDATE pods/resize",
    ]);
    for (const rule of all())
      expect(
        applies(rule.policy.spec, request("rayclusters", "CREATE", { namespaceLabels: { a: "b" } })) ||
          applies(rule.policy.spec, request("pods", "UPDATE", { namespaceLabels: {} })),
        rule.name,
      ).toBe(false);
  });
});
