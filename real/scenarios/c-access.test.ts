/**
 * c. docs/security.md's table through the real authorizer and admission: for each line, a
 * real request as recsys's owner, its contributor, another team's member (who also uses the
 * playground) and a stranger. Allowed requests get past RBAC and admission (exec, port-forward
 * and logs then fail at the node, as kwok nodes run nothing); denied ones get a 403 from RBAC,
 * a quota, or the platform's admission policy. Lines about the network (NetworkPolicies need a
 * CNI), the buckets (GCP IAM) and the tools' tokens (real/scenarios/ray.test.ts) are not here.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KubeError, type KubeApi } from "../../client/src/kube";
import { RayPlatform } from "../../client/src/sdk";
import { OTHER_TEAM, TEAM, type UserRole } from "../users";
import { cp, deployed, headPod } from "./context";

const PLAYGROUND = "ray-playground";
type Outcome = "allowed" | "rbac" | "admission" | "quota";

/** What a request met: allowed, or which gate refused it. Allowed includes failures past both gates. */
async function outcome(
  request: Promise<unknown> | (() => Promise<unknown>),
): Promise<{ outcome: Outcome; message: string }> {
  try {
    await (typeof request === "function" ? request() : request);
    return { outcome: "allowed", message: "" };
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    const m = err.message;
    if (err.code === 403 && / is forbidden: User ".*" cannot /.test(m))
      return { outcome: "rbac", message: m };
    if (/ValidatingAdmissionPolicy '.*' .* denied request/.test(m))
      return { outcome: "admission", message: m };
    if (/exceeded quota|must specify|minimum .* usage per Container/.test(m))
      return { outcome: "quota", message: m };
    // Past RBAC and admission: the node's kubelet (exec, logs) or the object's absence answered.
    if (err.code >= 400 && err.code !== 401 && err.code !== 403) return { outcome: "allowed", message: m };
    throw err;
  }
}

const as = (role: UserRole) => cp.api(role);
const ns = (n: string) => `/api/v1/namespaces/${n}`;
const create = (api: KubeApi, path: string, body: unknown, query?: Record<string, string>) =>
  api.request("POST", path, { body, query });
const cm = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "b" } });
const pause = {
  name: "main",
  image: "registry.k8s.io/pause:3.10",
  resources: { requests: { cpu: "100m", memory: "64Mi" } },
};
const deployment = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [pause] } },
  },
});
const exec = (api: KubeApi, namespace: string, pod: string) =>
  api.request("POST", `${ns(namespace)}/pods/${pod}/exec`, {
    query: { command: "printenv", stdout: "true", container: "ray-head" },
  });
const portForward = (api: KubeApi, namespace: string, pod: string) =>
  api.request("POST", `${ns(namespace)}/pods/${pod}/portforward`, { query: { ports: "8265" } });
const logs = (api: KubeApi, namespace: string, pod: string) =>
  api.get(`${ns(namespace)}/pods/${pod}/log`, { container: "ray-head" });

/** A contributor's RayCluster as rayctl renders it, changed by `edit` (a dry run: nothing is kept). */
async function rayClusterRequest(
  role: UserRole,
  namespace: string,
  edit: (rc: any) => void = () => undefined,
) {
  const sdk = RayPlatform.connect({ kubeconfig: cp.kubeconfig, context: cp.context(role) });
  const { objects } = await sdk.createCluster({
    namespace,
    name: "probe",
    cpusPerWorker: 1,
    memoryPerWorker: "4Gi",
    dryRun: "client",
  });
  const rc = structuredClone(objects.find((o) => o.kind === "RayCluster")!);
  edit(rc);
  return create(as(role), `/apis/ray.io/v1/namespaces/${namespace}/rayclusters`, rc, { dryRun: "All" });
}

describe("c. access per role, through the real authorizer", () => {
  let head: string;
  beforeAll(async () => {
    await deployed();
    head = (await headPod(TEAM, "two-tower")).metadata.name;
  });

  describe("owner", () => {
    test("runs workloads with Secrets and Services in the team namespace, reads network policies and bindings", async () => {
      const owner = as("owner");
      expect(
        await outcome(
          create(owner, `${ns(TEAM)}/secrets`, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "owners-secret" },
            stringData: { k: "v" },
          }),
        ),
      ).toMatchObject({ outcome: "allowed" });
      expect(await outcome(owner.get(`${ns(TEAM)}/secrets/owners-secret`))).toMatchObject({
        outcome: "allowed",
      });
      expect(
        await outcome(
          create(owner, `${ns(TEAM)}/services`, {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "owners-svc" },
            spec: { ports: [{ port: 80 }], selector: { app: "x" } },
          }),
        ),
      ).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(
          create(owner, `/apis/apps/v1/namespaces/${TEAM}/deployments`, deployment("owners-app")),
        ),
      ).toMatchObject({ outcome: "allowed" });
      for (const p of [
        "/apis/networking.k8s.io/v1/namespaces/recsys/networkpolicies",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/recsys/rolebindings",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/recsys/roles",
      ]) {
        expect(await outcome(owner.get(p)), p).toMatchObject({ outcome: "allowed" });
      }
      expect(await outcome(create(owner, `${ns(OTHER_TEAM)}/configmaps`, cm("not-mine")))).toMatchObject({
        outcome: "rbac",
      });
    });

    test("cannot change quotas, defaults, network policies, bindings or service accounts", async () => {
      const owner = as("owner");
      const patch = (p: string) =>
        owner.request("PATCH", p, {
          body: { metadata: { labels: { x: "y" } } },
          contentType: "application/merge-patch+json",
        });
      for (const p of [
        `${ns(TEAM)}/resourcequotas/team-quota`,
        `${ns(TEAM)}/limitranges/defaults`,
        `/apis/networking.k8s.io/v1/namespaces/${TEAM}/networkpolicies/default-deny-ingress`,
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${TEAM}/rolebindings/owners`,
        `${ns(TEAM)}/serviceaccounts/ray`,
      ]) {
        expect(await outcome(patch(p)), p).toMatchObject({ outcome: "rbac" });
      }
      expect(
        await outcome(
          create(owner, `${ns(TEAM)}/serviceaccounts`, {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "mine" },
          }),
        ),
      ).toMatchObject({ outcome: "rbac" });
    });

    test("cannot expose a Service outside the cluster or keep a long-lived token", async () => {
      const owner = as("owner");
      const lb = await outcome(
        create(owner, `${ns(TEAM)}/services`, {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "lb" },
          spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
        }),
      );
      expect(lb.outcome).toBe("admission");
      const token = await outcome(
        create(owner, `${ns(TEAM)}/secrets`, {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "t", annotations: { "kubernetes.io/service-account.name": "ray" } },
          type: "kubernetes.io/service-account-token",
        }),
      );
      expect(token.outcome).toBe("admission");
    });

    test("cannot go past the quota, not even with pods asking for nothing", async () => {
      const owner = as("owner");
      const pod = (name: string, requests: Record<string, string>) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name },
        spec: { containers: [{ ...pause, resources: { requests } }] },
      });
      expect(
        await outcome(create(owner, `${ns(TEAM)}/pods`, pod("huge", { cpu: "10000", memory: "1Gi" }))),
      ).toMatchObject({ outcome: "quota" });
      expect(
        await outcome(create(owner, `${ns(TEAM)}/pods`, pod("nothing", { cpu: "0", memory: "0" }))),
      ).toMatchObject({ outcome: "quota" });
    });
  });

  describe("contributor", () => {
    test("creates and scales RayClusters, creates ConfigMaps, reads pods, Services, quotas and events, execs, port-forwards, reads logs", async () => {
      const contributor = as("contributor");
      expect(await outcome(rayClusterRequest("contributor", TEAM))).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(create(contributor, `${ns(TEAM)}/configmaps`, cm("contributors-cm"))),
      ).toMatchObject({ outcome: "allowed" });
      for (const p of [
        "pods",
        "services",
        "endpoints",
        "events",
        "resourcequotas",
        "limitranges",
        "serviceaccounts",
      ])
        expect(await outcome(contributor.get(`${ns(TEAM)}/${p}`)), p).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(
          contributor.request("PATCH", `/apis/ray.io/v1/namespaces/${TEAM}/rayclusters/two-tower`, {
            body: { metadata: { labels: { probe: "x" } } },
            contentType: "application/merge-patch+json",
            query: { dryRun: "All" },
          }),
        ),
      ).toMatchObject({ outcome: "allowed" });
      for (const request of [
        () => exec(contributor, TEAM, head),
        () => portForward(contributor, TEAM, head),
        () => logs(contributor, TEAM, head),
      ])
        expect(await outcome(request)).toMatchObject({ outcome: "allowed" });
    });

    test("cannot read Secrets or run pods, Deployments or Jobs of their own", async () => {
      const contributor = as("contributor");
      expect(await outcome(contributor.get(`${ns(TEAM)}/secrets`))).toMatchObject({ outcome: "rbac" });
      expect(
        await outcome(
          create(contributor, `${ns(TEAM)}/pods`, {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p" },
            spec: { containers: [pause] },
          }),
        ),
      ).toMatchObject({ outcome: "rbac" });
      expect(
        await outcome(create(contributor, `/apis/apps/v1/namespaces/${TEAM}/deployments`, deployment("d"))),
      ).toMatchObject({ outcome: "rbac" });
      expect(
        await outcome(
          create(contributor, `/apis/batch/v1/namespaces/${TEAM}/jobs`, {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "j" },
            spec: { template: { spec: { restartPolicy: "Never", containers: [pause] } } },
          }),
        ),
      ).toMatchObject({ outcome: "rbac" });
    });

    test("creates a cluster's token Secret, but reads, changes or deletes no Secret", async () => {
      const contributor = as("contributor");
      expect(
        await outcome(
          create(
            contributor,
            `${ns(TEAM)}/secrets`,
            {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: "probe-token" },
              stringData: { auth_token: "x" },
            },
            { dryRun: "All" },
          ),
        ),
      ).toMatchObject({ outcome: "allowed" });
      const secret = `${ns(TEAM)}/secrets/two-tower-token`;
      expect(await outcome(contributor.get(secret))).toMatchObject({ outcome: "rbac" });
      expect(
        await outcome(
          contributor.request("PATCH", secret, {
            body: { data: {} },
            contentType: "application/merge-patch+json",
          }),
        ),
      ).toMatchObject({ outcome: "rbac" });
      expect(await outcome(contributor.request("DELETE", secret))).toMatchObject({ outcome: "rbac" });
    });

    test("a RayCluster's pods cannot run as another service account, mount or read a Secret, or get an Ingress", async () => {
      const cases: [string, (rc: any) => void][] = [
        [
          "another service account",
          (rc) => (rc.spec.headGroupSpec.template.spec.serviceAccountName = "default"),
        ],
        [
          "a Secret volume",
          (rc) =>
            (rc.spec.workerGroupSpecs[0].template.spec.volumes = [
              { name: "s", secret: { secretName: "owners-secret" } },
            ]),
        ],
        [
          "a Secret in env",
          (rc) =>
            (rc.spec.headGroupSpec.template.spec.containers[0].env ??= []).push({
              name: "S",
              valueFrom: { secretKeyRef: { name: "owners-secret", key: "k" } },
            }),
        ],
        ["another cluster's token", (rc) => (rc.spec.authOptions.secretName = "two-tower-token")],
        // Named <victim>-token, a cluster once counted the victim's token Secret as its own.
        [
          "a name that is another cluster's token",
          (rc) => (
            (rc.metadata.name = "two-tower-token"),
            (rc.spec.authOptions.secretName = "two-tower-token")
          ),
        ],
        [
          "KubeRay's own token, named like the cluster",
          (rc) => ((rc.metadata.name = "two-tower-token"), delete rc.spec.authOptions.secretName),
        ],
        // KubeRay copies redisPassword.valueFrom into the head's env (common/pod.go configureGCSFaultTolerance).
        [
          "GCS fault tolerance reading a Secret",
          (rc) =>
            (rc.spec.gcsFaultToleranceOptions = {
              redisAddress: "redis:6379",
              redisPassword: { valueFrom: { secretKeyRef: { name: "owners-secret", key: "k" } } },
            }),
        ],
        ["an Ingress", (rc) => (rc.spec.headGroupSpec.enableIngress = true)],
      ];
      for (const [what, edit] of cases)
        expect((await outcome(rayClusterRequest("contributor", TEAM, edit))).outcome, what).toBe("admission");
    });

    test("gets the cluster's token by exec into its head; owners also from its Secret", async () => {
      expect(await outcome(exec(as("contributor"), TEAM, head))).toMatchObject({ outcome: "allowed" });
      expect(await outcome(as("owner").get(`${ns(TEAM)}/secrets/two-tower-token`))).toMatchObject({
        outcome: "allowed",
      });
    });

    test("the denial of a long-lived token Secret says what members can do instead", async () => {
      const { outcome: o, message } = await outcome(
        create(as("contributor"), `${ns(TEAM)}/secrets`, {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "t", annotations: { "kubernetes.io/service-account.name": "ray" } },
          type: "kubernetes.io/service-account-token",
        }),
      );
      expect(o).toBe("admission");
      expect(message).toContain("Run the work in a RayCluster or RayJob");
    });
  });

  describe("the Ray pods' account (ray), which KubeRay binds its autoscaler's Role to", () => {
    const other = "other-autoscaled";
    beforeAll(async () => {
      const sdk = RayPlatform.connect({ kubeconfig: cp.kubeconfig, context: cp.context("contributor") });
      cp.kubectl("admin", [
        "delete",
        `raycluster/${other}`,
        `secret/${other}-token`,
        "-n",
        TEAM,
        "--ignore-not-found",
      ]);
      await sdk.createCluster({
        namespace: TEAM,
        name: other,
        cpusPerWorker: 1,
        memoryPerWorker: "4Gi",
        minWorkers: 0,
        maxWorkers: 2,
        awaitReady: true,
        timeoutSeconds: 180,
      });
    });
    afterAll(() =>
      cp.kubectl("admin", [
        "delete",
        `raycluster/${other}`,
        `secret/${other}-token`,
        "-n",
        TEAM,
        "--ignore-not-found",
      ]),
    );
    /** The account as a cluster's head holds it (its autoscaler's token). */
    const fromHead = async (cluster: string) => {
      const pod = await headPod(TEAM, cluster);
      return cp.serviceAccountApi(TEAM, "ray", { name: pod.metadata.name, uid: pod.metadata.uid });
    };
    const patch = (api: KubeApi, p: string, ops: unknown[]) =>
      api.request("PATCH", p, {
        body: ops,
        contentType: "application/json-patch+json",
        query: { dryRun: "All" },
      });
    const rc = (name: string) => `/apis/ray.io/v1/namespaces/${TEAM}/rayclusters/${name}`;

    test("from a cluster's head it scales that cluster, as the autoscaler does, and nothing else", async () => {
      const head = await fromHead("two-tower");
      expect(
        await outcome(
          patch(head, rc("two-tower"), [
            { op: "replace", path: "/spec/workerGroupSpecs/0/replicas", value: 1 },
          ]),
        ),
      ).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(
          patch(head, rc("two-tower"), [
            { op: "add", path: "/spec/workerGroupSpecs/0/scaleStrategy", value: { workersToDelete: [] } },
          ]),
        ),
      ).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(
          patch(head, rc("two-tower"), [
            {
              op: "replace",
              path: "/spec/workerGroupSpecs/0/template/spec/containers/0/image",
              value: "attacker/image",
            },
          ]),
        ),
      ).toMatchObject({ outcome: "admission" });
      expect(
        await outcome(
          patch(head, rc("two-tower"), [
            { op: "replace", path: "/spec/workerGroupSpecs/0/maxReplicas", value: 40 },
          ]),
        ),
      ).toMatchObject({ outcome: "admission" });
      // Another cluster of the team, autoscaled too: not this head's to scale.
      expect(
        await outcome(
          patch(head, rc(other), [{ op: "replace", path: "/spec/workerGroupSpecs/0/replicas", value: 1 }]),
        ),
      ).toMatchObject({ outcome: "admission" });
    });

    test("it changes no pod's spec: not an owner's pod, not a Ray pod", async () => {
      const head = await fromHead("two-tower");
      const owners = (await as("admin").get(`${ns(TEAM)}/pods`, { labelSelector: "app=owners-app" }))
        .items[0];
      expect(owners, "the owner's Deployment's pod").toBeDefined();
      for (const pod of [owners.metadata.name, (await headPod(TEAM, other)).metadata.name]) {
        expect(
          await outcome(
            patch(head, `${ns(TEAM)}/pods/${pod}`, [
              { op: "replace", path: "/spec/containers/0/image", value: "attacker/image" },
            ]),
          ),
          pod,
        ).toMatchObject({ outcome: "admission" });
      }
    });
  });

  describe("another team's member", () => {
    test("cannot list, read logs of, exec or port-forward into the team's pods or RayClusters", async () => {
      const other = as("otherTeam");
      for (const request of [
        () => other.get(`${ns(TEAM)}/pods`),
        () => other.get(`/apis/ray.io/v1/namespaces/${TEAM}/rayclusters`),
        () => exec(other, TEAM, head),
        () => portForward(other, TEAM, head),
        () => logs(other, TEAM, head),
      ]) {
        expect(await outcome(request)).toMatchObject({ outcome: "rbac" });
      }
    });
  });

  describe("playground user", () => {
    test("creates RayClusters and execs, port-forwards into or deletes pods of any playground cluster, but reads no Secret there", async () => {
      const user = as("otherTeam");
      const playgroundHead = (await headPod(PLAYGROUND, "my-cluster")).metadata.name;
      expect(await outcome(rayClusterRequest("otherTeam", PLAYGROUND))).toMatchObject({ outcome: "allowed" });
      for (const request of [
        () => exec(user, PLAYGROUND, playgroundHead),
        () => portForward(user, PLAYGROUND, playgroundHead),
      ])
        expect(await outcome(request)).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(
          user.request("DELETE", `${ns(PLAYGROUND)}/pods/${playgroundHead}`, { query: { dryRun: "All" } }),
        ),
      ).toMatchObject({ outcome: "allowed" });
      expect(await outcome(user.get(`${ns(PLAYGROUND)}/secrets`))).toMatchObject({ outcome: "rbac" });
    });
  });

  describe("a member's NetworkPolicies", () => {
    test("a playground user may create a cluster's own-pods NetworkPolicy, and no other", async () => {
      const user = as("otherTeam");
      const np = (name: string, from: unknown) => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name },
        spec: {
          podSelector: { matchLabels: { "ray.io/cluster": "mine" } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [from] }],
        },
      });
      const path = `/apis/networking.k8s.io/v1/namespaces/${PLAYGROUND}/networkpolicies`;
      expect(
        await outcome(
          create(
            user,
            path,
            np("mine-own-pods", { podSelector: { matchLabels: { "ray.io/cluster": "mine" } } }),
            { dryRun: "All" },
          ),
        ),
      ).toMatchObject({ outcome: "allowed" });
      expect(
        await outcome(create(user, path, np("mine-own-pods", { namespaceSelector: {} }), { dryRun: "All" })),
      ).toMatchObject({ outcome: "admission" });
      expect(
        await outcome(create(user, path, np("allow-all", { podSelector: {} }), { dryRun: "All" })),
      ).toMatchObject({ outcome: "admission" });
      expect(
        await outcome(user.request("DELETE", `${path}/default-deny-ingress`, { query: { dryRun: "All" } })),
      ).toMatchObject({ outcome: "rbac" });
    });
  });

  describe("a stranger", () => {
    test("can do nothing in any team namespace, and cannot read the platform's facts", async () => {
      const stranger = as("unrelated");
      for (const n of [TEAM, OTHER_TEAM, PLAYGROUND])
        expect(await outcome(stranger.get(`${ns(n)}/pods`)), n).toMatchObject({ outcome: "rbac" });
      expect(
        await outcome(stranger.get(`${ns("kuberay-system")}/configmaps/ray-platform-facts`)),
      ).toMatchObject({ outcome: "rbac" });
    });
  });

  test("every member gets access only once the team's quotas, defaults and network policies exist", async () => {
    const admin = as("admin");
    const created = async (p: string) => Date.parse((await admin.get(p)).metadata.creationTimestamp);
    for (const team of [TEAM, OTHER_TEAM, PLAYGROUND]) {
      const access = Math.min(
        await created(`/apis/rbac.authorization.k8s.io/v1/namespaces/${team}/rolebindings/owners`),
        await created(`/apis/rbac.authorization.k8s.io/v1/namespaces/${team}/rolebindings/ray-users`),
      );
      for (const limit of [
        `${ns(team)}/resourcequotas/team-quota`,
        `${ns(team)}/limitranges/defaults`,
        `/apis/networking.k8s.io/v1/namespaces/${team}/networkpolicies/default-deny-ingress`,
      ]) {
        expect(await created(limit), `${team}: ${limit}`).toBeLessThanOrEqual(access);
      }
    }
  });
});
