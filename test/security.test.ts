/**
 * docs/security.md, line by line: what owners, contributors, members of other teams and
 * playground users can and cannot do, asked of the rendered RBAC, NetworkPolicies, admission
 * rules (their CEL evaluated), quotas and RayClusters. Each line of its table names its test.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import {
  RAYCLUSTER_RULE,
  rayClusterAdmission,
  rayClusterFields,
  rayJobAdmission,
} from "../render/rayClusterAdmission";
import { ownPodsPolicy } from "../render/clusterAccess";
import { admissionRules } from "../render/tenancyBase";
import { may, type Pod, reachable, type Subject } from "./access";
import { policyDenials } from "./admissionEval";
import {
  type RegisteredResource,
  createdBefore,
  k8sObject,
  loadConfig,
  ofType,
  one,
  PROJECT_DIR,
  runProgram,
  secretValue,
  teamsDir,
} from "./mocks";

const OWNER: Subject = { kind: "Group", name: "ml-recsys-leads@example.com" };
const CONTRIBUTOR: Subject = { kind: "User", name: "alice@example.com" };
/** maria owns tech-research; olga contributes to it. Both use the playground. */
const OTHER_TEAM: Subject = { kind: "User", name: "maria@example.com" };
const PLAYGROUND_USER: Subject = { kind: "User", name: "olga@example.com" };

/** The playground with a second cluster from a team file, so confinement is between two of them. */
const playgroundWithTwo =
  fs.readFileSync(path.join(PROJECT_DIR, "teams/ray-playground.yaml"), "utf8") +
  ["  - name: second", "    head: { cpu: 2, memory: 8Gi }", ""].join("\n");

let resources: RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await runProgram({
    config: { "ray-platform:teamsDir": teamsDir({ "ray-playground.yaml": playgroundWithTwo }) },
  }));
});

const rayCluster = (ns: string, name: string) =>
  k8sObject(resources, "kubernetes:ray.io/v1:RayCluster", ns, name);
/** A pod as KubeRay makes it from a RayCluster (labelPod: ray.io/cluster and node-type cannot be overridden). */
const rayPod = (namespace: string, cluster: string, type: "head" | "worker"): Pod => ({
  namespace,
  labels: {
    "ray-platform/raycluster": cluster,
    "ray.io/cluster": cluster,
    "ray.io/node-type": type,
    "ray.io/is-ray-node": "yes",
  },
});
const RAY_AND_TOOLS = [6379, 8265, 10001, 8081, 3000];
/** The admission rules' context as the dev stack's program makes it (components/platform.ts). */
const admission = () => ({
  bucketPrefix: "my-ml-platform-dev-ray-",
  rayCluster: rayClusterFields(loadConfig().kuberay.crds),
});
const rcRule = () => rayClusterAdmission(admission()).policy.spec as any;
const asRayClusterRequest = (rc: any) => ({ ...rc, metadata: { ...rc.metadata } });
const tokenRule = () =>
  admissionRules().find((r) => r.name === "ray-platform-no-token-secrets")!.policy.spec as any;

describe("owners", () => {
  test("owner runs workloads with Secrets and Services in the team namespace", () => {
    for (const r of ["pods", "secrets", "services", "apps/deployments", "batch/jobs", "ray.io/rayclusters"])
      expect(may(resources, OWNER, "create", r, "recsys"), r).toBe(true);
    expect(may(resources, OWNER, "get", "secrets", "recsys")).toBe(true);
    for (const r of [
      "configmaps",
      "persistentvolumeclaims",
      "apps/statefulsets",
      "apps/replicasets",
      "batch/cronjobs",
    ])
      expect(may(resources, OWNER, "delete", r, "recsys"), r).toBe(true);
    for (const r of [
      "networking.k8s.io/networkpolicies",
      "rbac.authorization.k8s.io/roles",
      "rbac.authorization.k8s.io/rolebindings",
    ])
      expect(may(resources, OWNER, "list", r, "recsys"), r).toBe(true);
    expect(may(resources, OWNER, "create", "pods", "tech-research")).toBe(false);
  });

  test("owner cannot change quotas, defaults, network policies, bindings or service accounts", () => {
    for (const r of [
      "resourcequotas",
      "limitranges",
      "networking.k8s.io/networkpolicies",
      "rbac.authorization.k8s.io/rolebindings",
      "serviceaccounts",
    ]) {
      for (const verb of ["create", "update", "delete"]) {
        // Members may create one shape of NetworkPolicy, a cluster's own-pods policy (admission; see the playground's tests).
        if (verb === "create" && r.endsWith("networkpolicies")) continue;
        expect(may(resources, OWNER, verb, r, "recsys"), `${verb} ${r}`).toBe(false);
      }
    }
  });

  test("owner cannot expose a Service outside the cluster or keep a long-lived token", () => {
    const services = admissionRules().find((r) => r.name === "ray-platform-internal-services")!.policy
      .spec as any;
    expect(
      policyDenials(services, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "s" },
        spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
      }),
    ).toHaveLength(1);
    expect(
      policyDenials(tokenRule(), {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "t" },
        type: "kubernetes.io/service-account-token",
      }),
    ).toHaveLength(1);
    expect(
      k8sObject(resources, "kubernetes:core/v1:ResourceQuota", "recsys", "team-quota").spec.hard,
    ).toMatchObject({ "services.loadbalancers": "0", "services.nodeports": "0" });
  });

  test("owner cannot go past the quota, not even with pods asking for nothing", () => {
    const hard = k8sObject(resources, "kubernetes:core/v1:ResourceQuota", "recsys", "team-quota").spec.hard;
    for (const key of [
      "requests.cpu",
      "requests.memory",
      "requests.ephemeral-storage",
      "services",
      "secrets",
      "configmaps",
      "pods",
      "persistentvolumeclaims",
    ])
      expect(hard[key], key).toBeDefined();
    const limits = k8sObject(resources, "kubernetes:core/v1:LimitRange", "recsys", "defaults").spec.limits[0];
    expect(Object.keys(limits.min)).toEqual(["cpu", "memory"]);
    expect(limits.default["ephemeral-storage"]).toBeDefined();
  });
});

describe("contributors", () => {
  test("contributor creates and scales RayClusters and RayJobs, execs, port-forwards, reads logs", () => {
    for (const [verb, r] of [
      ["create", "ray.io/rayclusters"],
      ["patch", "ray.io/rayclusters"],
      ["delete", "ray.io/rayclusters"],
      ["create", "ray.io/rayjobs"],
      ["create", "pods/exec"],
      ["create", "pods/portforward"],
      ["get", "pods/log"],
      ["create", "configmaps"],
      ["delete", "persistentvolumeclaims"],
      ["create", "ray.io/rayservices"],
      ["create", "ray.io/raycronjobs"],
      ["get", "services"],
      ["list", "endpoints"],
      ["list", "events"],
      ["get", "resourcequotas"],
      ["get", "limitranges"],
      ["get", "serviceaccounts"],
    ] as const) {
      expect(may(resources, CONTRIBUTOR, verb, r, "recsys"), `${verb} ${r}`).toBe(true);
    }
  });

  test("contributor can exec into every pod of the namespace, an owner's included", () => {
    // RBAC grants pods/exec per namespace, not per pod: docs/security.md says so, and where to run Secret-using work.
    for (const sub of ["pods/exec", "pods/portforward"])
      expect(may(resources, CONTRIBUTOR, "create", sub, "recsys"), sub).toBe(true);
    expect(may(resources, CONTRIBUTOR, "get", "pods/log", "recsys")).toBe(true);
  });

  test("contributor creates a cluster's token Secret (rayctl) but reads, changes or deletes no Secret", () => {
    expect(may(resources, CONTRIBUTOR, "create", "secrets", "recsys")).toBe(true);
    for (const verb of ["get", "list", "watch", "update", "patch", "delete"])
      expect(may(resources, CONTRIBUTOR, verb, "secrets", "recsys"), verb).toBe(false);
  });

  test("contributor cannot read Secrets or run pods of their own", () => {
    for (const verb of ["get", "list", "watch"])
      expect(may(resources, CONTRIBUTOR, verb, "secrets", "recsys")).toBe(false);
    for (const r of ["pods", "apps/deployments", "batch/jobs"])
      expect(may(resources, CONTRIBUTOR, "create", r, "recsys"), r).toBe(false);
  });

  test("contributor's RayCluster cannot run as another service account", () => {
    const rc = structuredClone(rayCluster("recsys", "two-tower"));
    rc.spec.workerGroupSpecs[1].template.spec.serviceAccountName = "default";
    expect(policyDenials(rcRule(), rc)).toEqual([rcRule().validations[0].message]);
    const legacy = structuredClone(rayCluster("recsys", "two-tower"));
    legacy.spec.headGroupSpec.template.spec.serviceAccount = "builder";
    expect(policyDenials(rcRule(), legacy)).toEqual([rcRule().validations[0].message]);
  });

  test("contributor's RayCluster cannot mount or read a Secret, nor another team's bucket", () => {
    const [, volumes, secrets] = rcRule().validations.map((v: any) => v.message);
    const mount = structuredClone(rayCluster("recsys", "two-tower"));
    mount.spec.headGroupSpec.template.spec.volumes.push({
      name: "creds",
      secret: { secretName: "db-password" },
    });
    expect(policyDenials(rcRule(), mount)).toEqual([volumes]);
    const projected = structuredClone(rayCluster("recsys", "two-tower"));
    projected.spec.workerGroupSpecs[0].template.spec.volumes.push({
      name: "t",
      projected: { sources: [{ serviceAccountToken: { path: "t" } }] },
    });
    expect(policyDenials(rcRule(), projected)).toEqual([volumes]);
    const bucket = structuredClone(rayCluster("recsys", "two-tower"));
    bucket.spec.headGroupSpec.template.spec.volumes.find(
      (v: any) => v.name === "bucket",
    ).csi.volumeAttributes.bucketName = "my-ml-platform-dev-ray-tech-research";
    expect(policyDenials(rcRule(), bucket)).toEqual([volumes]);
    const env = structuredClone(rayCluster("recsys", "two-tower"));
    env.spec.headGroupSpec.template.spec.containers[0].env = [
      { name: "P", valueFrom: { secretKeyRef: { name: "db-password", key: "password" } } },
    ];
    expect(policyDenials(rcRule(), env)).toEqual([secrets]);
    const envFrom = structuredClone(rayCluster("recsys", "two-tower"));
    envFrom.spec.workerGroupSpecs[0].template.spec.containers[0].envFrom = [
      { secretRef: { name: "db-password" } },
    ];
    expect(policyDenials(rcRule(), envFrom)).toEqual([secrets]);
    const pull0 = structuredClone(rayCluster("recsys", "two-tower"));
    pull0.spec.headGroupSpec.template.spec.imagePullSecrets = [{ name: "registry" }];
    expect(policyDenials(rcRule(), pull0)).toEqual([secrets]);
  });

  test("a RayCluster's token is its own Secret only: not another's, not one named like the cluster", () => {
    const own = rcRule().validations.find((v: any) =>
      v.message.startsWith("A RayCluster's token is its own Secret"),
    ).message;
    const other = structuredClone(rayCluster("recsys", "two-tower"));
    other.spec.authOptions.secretName = "db-password";
    expect(policyDenials(rcRule(), other)).toEqual([own]);
    // A cluster named <victim>-token once counted its own name among its Secrets: the victim's token.
    const victim = structuredClone(rayCluster("recsys", "two-tower"));
    victim.metadata.name = "two-tower-token";
    victim.spec.authOptions.secretName = "two-tower-token";
    // (Its tools' env names that Secret too, also refused.)
    expect(policyDenials(rcRule(), victim)).toContain(own);
    // Without a Secret named, KubeRay uses the one named like the cluster, which may be another's.
    const unnamed = structuredClone(rayCluster("recsys", "two-tower"));
    unnamed.metadata.name = "two-tower-token";
    delete unnamed.spec.authOptions.secretName;
    expect(policyDenials(rcRule(), unnamed)).toContain(own);
    expect(policyDenials(rcRule(), rayCluster("recsys", "two-tower"))).toEqual([]);
  });

  test("a RayCluster sets only the spec fields the platform admits: no GCS fault tolerance reading a Secret, no TLS, no network policy of KubeRay's", () => {
    const allow = rcRule().validations.find((v: any) =>
      v.message.startsWith("RayClusters may set only"),
    ).message;
    expect(allow).toContain(
      "remove gcsFaultToleranceOptions, headServiceAnnotations, historyServerOptions, networkPolicy, tlsOptions.",
    );
    const ft = structuredClone(rayCluster("recsys", "two-tower"));
    // KubeRay copies redisPassword.valueFrom into the head's REDIS_PASSWORD env (common/pod.go configureGCSFaultTolerance).
    ft.spec.gcsFaultToleranceOptions = {
      redisAddress: "redis:6379",
      redisPassword: { valueFrom: { secretKeyRef: { name: "db-password", key: "password" } } },
    };
    expect(policyDenials(rcRule(), ft)).toEqual([allow]);
    const tls = structuredClone(rayCluster("recsys", "two-tower"));
    tls.spec.tlsOptions = {};
    expect(policyDenials(rcRule(), tls)).toEqual([allow]);
  });

  test("contributor's RayJob submitter cannot run as another service account or read a Secret", () => {
    const spec = rayJobAdmission(admission()).policy.spec as any;
    const [account, volumes, secrets] = spec.validations.map((v: any) => v.message);
    const job = (template?: unknown) => ({
      apiVersion: "ray.io/v1",
      kind: "RayJob",
      metadata: { name: "j", namespace: "recsys" },
      spec: { entrypoint: "python x.py", ...(template ? { submitterPodTemplate: template } : {}) },
    });
    const submitter = (spec: Record<string, unknown>) => ({
      spec: {
        restartPolicy: "Never",
        containers: [{ name: "submit", image: "rayproject/ray:2.52.0" }],
        ...spec,
      },
    });
    expect(policyDenials(spec, job())).toEqual([]);
    expect(policyDenials(spec, job(submitter({ serviceAccountName: "ray" })))).toEqual([]);
    expect(policyDenials(spec, job(submitter({ serviceAccountName: "builder" })))).toEqual([account]);
    expect(
      policyDenials(
        spec,
        job(submitter({ volumes: [{ name: "s", secret: { secretName: "db-password" } }] })),
      ),
    ).toEqual([volumes]);
    expect(
      policyDenials(
        spec,
        job(
          submitter({ containers: [{ name: "submit", envFrom: [{ secretRef: { name: "db-password" } }] }] }),
        ),
      ),
    ).toEqual([secrets]);
  });

  test("contributor's RayCluster cannot enable an Ingress", () => {
    const rc = structuredClone(rayCluster("recsys", "two-tower"));
    rc.spec.headGroupSpec.enableIngress = true;
    expect(policyDenials(rcRule(), rc)).toEqual([rcRule().validations[3].message]);
  });

  test("contributor gets the cluster's token by exec into its head, and owners also from its Secret", () => {
    const rc = rayCluster("recsys", "two-tower");
    expect(rc.spec.authOptions).toEqual({ mode: "token", secretName: "two-tower-token" });
    expect(may(resources, CONTRIBUTOR, "create", "pods/exec", "recsys")).toBe(true);
    expect(may(resources, OWNER, "get", "secrets", "recsys")).toBe(true);
    const secret = k8sObject(resources, "kubernetes:core/v1:Secret", "recsys", "two-tower-token");
    // 48 letters and digits, a secret in the stack's state and the plan, kept from the first run.
    const { auth_token } = secretValue(secret.data) as { auth_token: string };
    expect(Buffer.from(auth_token, "base64").toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(
      one(resources, "kubernetes:core/v1:Secret", "recsys/two-tower-token").options.ignoreChanges,
    ).toEqual(["data"]);
  });

  test("the denial of a token Secret points to something members can do", () => {
    const [message] = policyDenials(tokenRule(), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "t" },
      type: "kubernetes.io/service-account-token",
    });
    expect(message).toMatch(/RayCluster or RayJob/);
    expect(message).not.toMatch(/kubectl create token/);
  });
});

describe("members of another team", () => {
  test("another team's member cannot read, exec or port-forward in the team namespace", () => {
    for (const [verb, r] of [
      ["get", "pods"],
      ["create", "pods/exec"],
      ["create", "pods/portforward"],
      ["get", "pods/log"],
      ["list", "ray.io/rayclusters"],
    ] as const) {
      expect(may(resources, OTHER_TEAM, verb, r, "recsys"), `${verb} ${r}`).toBe(false);
    }
  });

  test("another team's pods cannot reach the team's pods", () => {
    for (const port of RAY_AND_TOOLS) {
      expect(
        reachable(
          resources,
          rayPod("tech-research", "gnn", "worker"),
          rayPod("recsys", "two-tower", "head"),
          port,
        ),
        String(port),
      ).toBe(false);
      expect(
        reachable(
          resources,
          rayPod("ray-playground", "my-cluster", "worker"),
          rayPod("recsys", "two-tower", "head"),
          port,
        ),
        String(port),
      ).toBe(false);
    }
    // Within the team, clusters reach each other: one team, one trust.
    expect(
      reachable(resources, rayPod("recsys", "other", "worker"), rayPod("recsys", "two-tower", "head"), 6379),
    ).toBe(true);
  });

  test("another team's Ray pods cannot use the team's bucket", () => {
    const members = ofType(resources, "gcp:storage/bucketIAMMember:BucketIAMMember").filter(
      (m) => m.inputs.bucket === "my-ml-platform-dev-ray-recsys",
    );
    expect(members.map((m) => m.inputs.member)).toEqual([
      expect.stringMatching(/\/subject\/ns\/recsys\/sa\/ray$/),
    ]);
  });
});

describe("playground users", () => {
  test("playground user creates RayClusters and can exec into every playground cluster", () => {
    expect(may(resources, PLAYGROUND_USER, "create", "ray.io/rayclusters", "ray-playground")).toBe(true);
    expect(may(resources, PLAYGROUND_USER, "create", "pods/exec", "ray-playground")).toBe(true);
    expect(may(resources, PLAYGROUND_USER, "get", "secrets", "ray-playground")).toBe(false);
  });

  test("playground clusters reach their own pods and no other cluster's pods reach them", () => {
    const mine = (type: "head" | "worker") => rayPod("ray-playground", "my-cluster", type);
    for (const port of [6379, 8265, 10001])
      expect(reachable(resources, mine("worker"), mine("head"), port), String(port)).toBe(true);
    expect(reachable(resources, mine("head"), mine("worker"), 8080)).toBe(true);
    for (const other of [
      rayPod("ray-playground", "second", "worker"),
      rayPod("ray-playground", "made-with-kubectl", "worker"),
      { namespace: "ray-playground", labels: { app: "job" } },
    ]) {
      for (const port of RAY_AND_TOOLS)
        expect(
          reachable(resources, other, mine("head"), port),
          `${JSON.stringify(other.labels)} :${port}`,
        ).toBe(false);
    }
    // The operator and the metrics collectors still get in.
    expect(reachable(resources, { namespace: "kuberay-system", labels: {} }, mine("head"), 8265)).toBe(true);
    expect(reachable(resources, { namespace: "gke-gmp-system", labels: {} }, mine("worker"), 8080)).toBe(
      true,
    );
    // A cluster made outside team files gets no namespace-wide allow either: another cluster's
    // pods do not reach it; its own reach it through the own-pods policy rayctl makes.
    const kubectlMade = (type: "head" | "worker") => rayPod("ray-playground", "made-with-kubectl", type);
    expect(reachable(resources, mine("worker"), kubectlMade("head"), 8265)).toBe(false);
    const withOwnPolicy = [
      ...resources,
      {
        type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        name: "x",
        urn: "x",
        inputs: ownPodsPolicy({ name: "made-with-kubectl", namespace: "ray-playground" }),
      } as unknown as RegisteredResource,
    ];
    expect(reachable(withOwnPolicy, kubectlMade("worker"), kubectlMade("head"), 8265)).toBe(true);
    expect(reachable(withOwnPolicy, mine("worker"), kubectlMade("head"), 8265)).toBe(false);
    // Pods of no Ray cluster keep the namespace-wide allow.
    const job = { namespace: "ray-playground", labels: { app: "job" } };
    expect(reachable(resources, job, { namespace: "ray-playground", labels: { app: "other" } }, 8080)).toBe(
      true,
    );
  });

  test("members may create a cluster's own-pods NetworkPolicy, and no other", () => {
    expect(
      may(resources, PLAYGROUND_USER, "create", "networking.k8s.io/networkpolicies", "ray-playground"),
    ).toBe(true);
    for (const verb of ["update", "patch", "delete"])
      expect(
        may(resources, PLAYGROUND_USER, verb, "networking.k8s.io/networkpolicies", "ray-playground"),
        verb,
      ).toBe(false);
    const rule = admissionRules().find((r) => r.name === "ray-platform-own-pods-policies")!.policy
      .spec as any;
    const [shape] = rule.validations.map((v: any) => v.message);
    const asRequest = (np: any) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", ...np });
    // The rule holds for whoever may not update NetworkPolicies (its match condition asks the authorizer): a member.
    expect(rule.matchConditions[0].expression).toContain(".check('update').allowed()");
    const member = { matched: true };
    expect(
      policyDenials(
        rule,
        asRequest(ownPodsPolicy({ name: "mine", namespace: "ray-playground" })),
        null,
        member,
      ),
    ).toEqual([]);
    const open = asRequest(ownPodsPolicy({ name: "mine", namespace: "ray-playground" }));
    open.spec.ingress = [{ from: [{ namespaceSelector: {} }] }];
    expect(policyDenials(rule, open, null, member)).toEqual([shape]);
    const renamed = asRequest(ownPodsPolicy({ name: "mine", namespace: "ray-playground" }));
    renamed.metadata.name = "allow-everything";
    expect(policyDenials(rule, renamed, null, member)).toEqual([shape]);
    const other = asRequest(ownPodsPolicy({ name: "mine", namespace: "ray-playground" }));
    other.spec.podSelector = { matchLabels: { "ray.io/cluster": "someone-else" } };
    expect(policyDenials(rule, other, null, member)).toEqual([shape]);
  });

  test("playground tools answer only with the cluster's token", () => {
    const spec = rayCluster("ray-playground", "my-cluster").spec;
    expect(spec.authOptions).toEqual({ mode: "token", secretName: "my-cluster-token" });
    const [, notebook, vscode] = spec.headGroupSpec.template.spec.containers;
    const ref = { valueFrom: { secretKeyRef: { name: "my-cluster-token", key: "auth_token" } } };
    expect(notebook.env).toContainEqual({ name: "JUPYTER_TOKEN", ...ref });
    expect(notebook.env).toContainEqual({ name: "RAY_AUTH_TOKEN", ...ref });
    expect(notebook.env).toContainEqual({ name: "RAY_AUTH_MODE", value: "token" });
    expect(notebook.command.join(" ")).not.toMatch(/token=|password=/);
    expect(vscode.env).toEqual([{ name: "CONNECTION_TOKEN", ...ref }]);
    // VS Code reads the token from a file the container writes: not on its command line, which ps shows.
    expect(vscode.command.join(" ")).not.toContain("--connection-token ");
    expect(vscode.command.slice(-2)).toEqual(["--connection-token-file", "/tmp/connection-token"]);
  });

  test("the tools' tokens stay out of their logs: what they print passes through a filter that hides every token=/tkn= value", () => {
    const spec = rayCluster("ray-playground", "my-cluster").spec;
    const [, notebook, vscode] = spec.headGroupSpec.template.spec.containers;
    for (const c of [notebook, vscode]) {
      expect(c.command.slice(0, 2)).toEqual(["bash", "-c"]);
      expect(c.args).toBeUndefined();
    }
    // The filter itself, run by bash as the container runs it, around what the servers print on start.
    const printsTokens = [
      "sh",
      "-c",
      "echo Web UI available at http://localhost:3000/?tkn=AbC123-x_y; echo http://127.0.0.1:8081/lab?token=9f8e7d >&2; echo plain",
    ];
    const out = execFileSync(notebook.command[0], [...notebook.command.slice(1, 4), ...printsTokens], {
      encoding: "utf8",
    });
    expect(out.split("\n").sort()).toEqual([
      "",
      "Web UI available at http://localhost:3000/?tkn=<hidden>",
      "http://127.0.0.1:8081/lab?token=<hidden>",
      "plain",
    ]);
    const token = k8sObject(resources, "kubernetes:core/v1:Secret", "ray-playground", "my-cluster-token");
    expect(
      Buffer.from((secretValue(token.data) as { auth_token: string }).auth_token, "base64").toString(),
    ).toMatch(/^[A-Za-z0-9]{48}$/);
  });
});

describe("the Ray pods' account", () => {
  test("the Ray pods' account changes RayClusters only as the autoscaler does, from the cluster's head, and changes no pod", () => {
    // The rule's effect is proven against the real API server (real/scenarios/c-access.test.ts);
    // here, that it is in force, on whom, on what, and that it keeps every other field.
    const policy = one(
      resources,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
      "tenancy-ray-platform-autoscaler-account",
    ).inputs;
    one(
      resources,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
      "tenancy-ray-platform-autoscaler-account",
    );
    expect(policy.spec.matchConditions).toEqual([
      {
        name: "ray-account",
        expression: "request.userInfo.username == 'system:serviceaccount:' + request.namespace + ':ray'",
      },
    ]);
    expect(policy.spec.matchConstraints.resourceRules.flatMap((r: any) => r.resources)).toEqual([
      "rayclusters",
      "pods",
      "pods/resize",
    ]);
    const [head, counts, pods] = policy.spec.validations.map((v: any) => v.expression);
    expect(head).toContain("variables.podName.startsWith(variables.headPrefix)");
    expect(policy.spec.variables.find((v: any) => v.name === "podName").expression).toContain(
      "request.userInfo.extra['authentication.kubernetes.io/pod-name']",
    );
    for (const field of ["template", "minReplicas", "maxReplicas", "rayStartParams", "groupName"])
      expect(counts, field).toContain(`g.${field} == o.${field}`);
    for (const field of ["replicas", "scaleStrategy"]) expect(counts, field).not.toContain(`g.${field}`);
    for (const field of ["headGroupSpec", "authOptions", "rayVersion"])
      expect(counts, field).toContain(`object.spec.${field} == oldObject.spec.${field}`);
    expect(pods).toContain("object.spec == oldObject.spec");
  });
});

describe("limits before access", () => {
  test("a team's RoleBindings wait for its quotas, defaults, network policies and the admission bindings", () => {
    const urn = (type: string, name: string) => one(resources, type, name).urn;
    const limits = [
      urn("kubernetes:core/v1:ResourceQuota", "recsys-quota"),
      urn("kubernetes:core/v1:ResourceQuota", "recsys-quota-gpu-t4"),
      urn("kubernetes:core/v1:LimitRange", "recsys-defaults"),
      ...ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        .filter((p) => p.name.startsWith("recsys-"))
        .map((p) => p.urn),
      ...ofType(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding").map(
        (b) => b.urn,
      ),
    ];
    expect(limits.length).toBeGreaterThan(8);
    for (const binding of ["recsys-owners", "recsys-ray-users", "recsys-playground"]) {
      const before = createdBefore(
        resources,
        urn("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", binding),
      );
      expect([...before], binding).toEqual(expect.arrayContaining(limits));
    }
    // Into the playground only once the playground's own limits exist too.
    expect([
      ...createdBefore(
        resources,
        urn("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "recsys-playground"),
      ),
    ]).toContain(urn("kubernetes:core/v1:ResourceQuota", "ray-playground-quota"));
  });
});

test("every RayCluster of the example teams, and the playground's, is admitted", () => {
  const rcs = ofType(resources, "kubernetes:ray.io/v1:RayCluster");
  expect(rcs.length).toBe(4);
  for (const rc of rcs) expect(policyDenials(rcRule(), asRayClusterRequest(rc.inputs)), rc.name).toEqual([]);
  expect(
    one(
      resources,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
      `tenancy-${RAYCLUSTER_RULE}`,
    ).inputs.spec.matchConstraints.resourceRules,
  ).toEqual([
    {
      apiGroups: ["ray.io"],
      apiVersions: ["v1"],
      operations: ["CREATE", "UPDATE"],
      resources: ["rayclusters"],
    },
  ]);
});

test("every line of docs/security.md's table names a test of this file", () => {
  const page = fs.readFileSync(path.join(PROJECT_DIR, "docs", "security.md"), "utf8");
  expect(page).toContain("| role | can / cannot | how it is enforced | test |");
  const rows = page
    .split("\n")
    .filter((l) => /^\| (owner|contributor|another team|playground user|every member|Ray pods) /.test(l));
  expect(rows.length).toBeGreaterThanOrEqual(18);
  const source = fs.readFileSync(__filename, "utf8");
  for (const row of rows) {
    const name = /`test: ([^`]+)`/.exec(row)?.[1];
    expect(name, row).toBeDefined();
    expect(source.includes(`test("${name}"`), name).toBe(true);
  }
});
