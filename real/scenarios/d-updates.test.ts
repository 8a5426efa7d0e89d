/**
 * d. Updates with the real engine, on clusters the real operators run: a second up changes
 * nothing; an edit to one team's file touches no other team's RayCluster; an edit to an
 * autoscaled cluster keeps what KubeRay, Kueue and the autoscaler wrote into it, so that its
 * next scale-up still starts; a new autoscaled worker group deploys; renamed components keep
 * their resources through aliases.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { type KubeApi } from "../../client/src/kube";
import { TEAM } from "../users";
import { diffPlans } from "../../plan/diff";
import * as fs from "node:fs";
import * as path from "node:path";
import { changed, cp, deployed, headPod, offlinePlan, real, stack, teams, up } from "./context";

const admin = cp.api("admin");
const TEAM_NAMESPACES = ["recsys", "tech-research", "ray-playground"];
const list = async (p: string): Promise<any[]> => (await admin.get(p)).items;
const rayPods = async () =>
  (await Promise.all(TEAM_NAMESPACES.map((ns) => list(`/api/v1/namespaces/${ns}/pods`)))).flat();
const rayClusters = async () =>
  (
    await Promise.all(TEAM_NAMESPACES.map((ns) => list(`/apis/ray.io/v1/namespaces/${ns}/rayclusters`)))
  ).flat();
/** name -> uid: a recreated pod has a new uid. */
const uids = (objs: any[]) =>
  Object.fromEntries(objs.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.metadata.uid]));
const generations = (objs: any[]) =>
  Object.fromEntries(objs.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.metadata.generation]));
const AUTOSCALED = "two-tower";
const rc = (name = AUTOSCALED) => admin.get(`/apis/ray.io/v1/namespaces/${TEAM}/rayclusters/${name}`);
const group = (cluster: any, name: string) =>
  cluster.spec.workerGroupSpecs.find((g: any) => g.groupName === name);
const workers = async (groupName: string) =>
  (await list(`/api/v1/namespaces/${TEAM}/pods`)).filter(
    (p) =>
      p.metadata.labels?.["ray.io/cluster"] === AUTOSCALED &&
      p.metadata.labels?.["ray.io/group"] === groupName &&
      !p.metadata.deletionTimestamp,
  );
const running = (pods: any[]) =>
  pods.filter((p) => p.status?.phase === "Running" && !(p.spec.schedulingGates ?? []).length);

/** The Ray autoscaler's own writes, with the head's service account (KubeRay's autoscaler Role). */
async function autoscale(
  api: KubeApi,
  groupName: string,
  replicas: number,
  workersToDelete: string[] = [],
): Promise<void> {
  const i = (await rc()).spec.workerGroupSpecs.findIndex((g: any) => g.groupName === groupName);
  await api.request("PATCH", `/apis/ray.io/v1/namespaces/${TEAM}/rayclusters/${AUTOSCALED}`, {
    contentType: "application/json-patch+json",
    body: [
      { op: "replace", path: `/spec/workerGroupSpecs/${i}/replicas`, value: replicas },
      { op: "add", path: `/spec/workerGroupSpecs/${i}/scaleStrategy`, value: { workersToDelete } },
    ],
  });
}

describe("d. updates", () => {
  beforeAll(deployed);

  test("a second up changes nothing, and no pod is recreated", async () => {
    const [pods, clusters] = [uids(await rayPods()), generations(await rayClusters())];
    expect(Object.keys(pods).length).toBeGreaterThan(0);
    const r = await up();
    expect(changed(r)).toBe("");
    expect(uids(await rayPods())).toEqual(pods);
    expect(generations(await rayClusters())).toEqual(clusters);
  });

  test("an edit to one team's file leaves every RayCluster and its pods untouched", async () => {
    const [pods, clusters] = [uids(await rayPods()), generations(await rayClusters())];
    teams.write("tech-research", teams.read("tech-research").replace("cpu: 128", "cpu: 120"));
    const r = await up();
    expect(
      r.steps
        .filter((s) => s.op !== "same" && s.op !== "refresh")
        .map((s) => s.urn.split("::").pop())
        .sort(),
    ).toEqual(["tech-research-queue-clusterqueue", "tech-research-quota"]);
    expect(
      r.steps
        .filter((s) => s.type === "kubernetes:ray.io/v1:RayCluster")
        .every((s) => s.op === "same" || s.op === "refresh"),
    ).toBe(true);
    expect(uids(await rayPods())).toEqual(pods);
    expect(generations(await rayClusters())).toEqual(clusters);
  });

  describe("an autoscaled cluster that KubeRay, Kueue and its autoscaler have written to", () => {
    let autoscaler: KubeApi;
    beforeAll(async () => {
      await deployed();
      // The autoscaler's token: the head pod's, as the kubelet mounts it into the autoscaler container.
      const head = await headPod(TEAM, AUTOSCALED);
      autoscaler = await cp.serviceAccountApi(TEAM, "ray", {
        name: head.metadata.name,
        uid: head.metadata.uid,
      });
      // Scale up as the autoscaler does: KubeRay makes gated pods, Kueue admits a new slice and ungates them.
      await autoscale(autoscaler, "t4", 2);
      await cp.waitFor(
        "2 T4 workers running",
        async () => running(await workers("t4")).length === 2,
        120_000,
      );
    });

    test("an edit of the cluster in its team file keeps the live worker counts and what Kueue wrote", async () => {
      const before = await rc();
      const kueueKeys = (g: any) => ({
        annotations: Object.fromEntries(
          Object.entries<string>(g.template.metadata.annotations ?? {}).filter(([k]) =>
            k.startsWith("kueue.x-k8s.io/"),
          ),
        ),
        labels: Object.fromEntries(
          Object.entries<string>(g.template.metadata.labels ?? {}).filter(([k]) =>
            k.startsWith("kueue.x-k8s.io/"),
          ),
        ),
      });
      const wrote = kueueKeys(group(before, "t4"));
      expect(Object.keys(wrote.annotations)).toContain("kueue.x-k8s.io/workload-slice-name");
      expect(Object.keys(wrote.labels)).toContain("kueue.x-k8s.io/podset");
      teams.write(TEAM, teams.read(TEAM).replace("maxReplicas: 4", "maxReplicas: 5"));
      const r = await up();
      expect(changed(r)).toContain("RayCluster::recsys/two-tower-raycluster");
      const after = await rc();
      expect(group(after, "t4").maxReplicas).toBe(5);
      expect(group(after, "t4").replicas).toBe(2);
      expect(kueueKeys(group(after, "t4"))).toEqual(wrote);
      expect(running(await workers("t4"))).toHaveLength(2);
    });

    test("after that edit, the autoscaler's next scale-up still starts its pods", async () => {
      await autoscale(autoscaler, "t4", 3);
      await cp.waitFor(
        "3 T4 workers running (Kueue ungates the new one)",
        async () => running(await workers("t4")).length === 3,
        120_000,
      );
    });

    test("the workers the autoscaler names for deletion are the ones deleted, even across an up", async () => {
      // The operator paused, the autoscaler scales down naming its victim, the program deploys,
      // then the operator resumes: the named worker goes, not another.
      const victim = (await workers("t4"))[0].metadata.name;
      cp.kubectl("admin", ["scale", "deployment/kuberay-operator", "-n", "kuberay-system", "--replicas=0"]);
      await cp.waitFor(
        "the operator stopped",
        async () => (await list("/api/v1/namespaces/kuberay-system/pods")).length === 0,
        60_000,
      );
      await autoscale(autoscaler, "t4", 2, [victim]);
      teams.write(TEAM, teams.read(TEAM).replace("maxReplicas: 5", "maxReplicas: 6"));
      await up();
      expect(group(await rc(), "t4").scaleStrategy?.workersToDelete).toEqual([victim]);
      cp.kubectl("admin", ["scale", "deployment/kuberay-operator", "-n", "kuberay-system", "--replicas=1"]);
      await cp.waitFor(
        `${victim} deleted`,
        async () => !(await workers("t4")).some((p) => p.metadata.name === victim),
        120_000,
      );
      expect(running(await workers("t4"))).toHaveLength(2);
    });
  });

  test("an edit restarts a cluster exactly when the plan says it does", async () => {
    await deployed();
    const heads = async () =>
      uids((await rayPods()).filter((p) => p.metadata.labels?.["ray.io/node-type"] === "head"));
    const before = { plan: offlinePlan(), heads: await heads() };
    // A fixed-size cluster's worker container (Kueue admits it again), an autoscaled one's
    // worker container (a new slice's pods get it, no restart), and a description (nothing).
    teams.write(
      "ray-playground",
      teams
        .read("ray-playground")
        .replace("        replicas: 1", "        cpu: 8\n        replicas: 1")
        .replace("Starter cluster with", "A starter cluster with"),
    );
    teams.write(TEAM, teams.read(TEAM).replace("memory: 32Gi", "memory: 48Gi"));
    const planned = diffPlans(before.plan as any, offlinePlan() as any).dangers.map((d) => d.what);
    expect(planned.filter((d) => d.includes("RESTARTS"))).toEqual([
      expect.stringMatching(/^RayCluster ray-playground\/my-cluster RESTARTS: .*\(worker containers\)/),
    ]);
    await up();
    const oldHead = Object.keys(before.heads).find((k) => k.startsWith("ray-playground/my-cluster-head"))!;
    await cp.waitFor(
      "my-cluster's new head running",
      async () => {
        const now = await heads();
        return (
          !(oldHead in now) && Object.keys(now).some((k) => k.startsWith("ray-playground/my-cluster-head"))
        );
      },
      120_000,
    );
    const after = await heads();
    for (const [pod, uid] of Object.entries(before.heads)) {
      if (pod === oldHead) expect(after[pod], `${pod} was recreated`).toBeUndefined();
      else expect(after[pod], `${pod} kept`).toBe(uid);
    }
  });

  test("a stack deployed under the old cluster names (<team>-<cluster>) keeps its RayClusters when the program renames them", async () => {
    await deployed();
    const file = path.join(real.projectDir, "components", "team.ts");
    const current = fs.readFileSync(file, "utf8");
    // The program before the rename, with an alias back from today's name, so that this stack gets there without a replace too.
    // Matched whatever the line breaks the formatter puts in.
    const renamed = current.replace(/(new RayCluster\(\s*`\$\{name\})\/(\$\{cluster\.name\}`)/, "$1-$2");
    const before = renamed.replace(
      /aliases: legacyAlias\(\s*`\$\{name\}-\$\{cluster\.name\}`,\s*args\.ambiguousLegacyNames,?\s*\)/,
      "aliases: [{ name: `${name}/${cluster.name}` }]",
    );
    expect(renamed, "the component's name in components/team.ts").not.toBe(current);
    expect(before, "the component's aliases in components/team.ts").not.toBe(renamed);
    const clusters = uids(await rayClusters());
    const moved = (r: Awaited<ReturnType<typeof up>>) =>
      r.steps
        .filter((s) => !["same", "refresh"].includes(s.op))
        .map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    const rayClusterUrns = () =>
      stack
        .resources()
        .filter((r) => r.type === "kubernetes:ray.io/v1:RayCluster")
        .map((r) => r.urn.split("::").pop())
        .sort();
    try {
      fs.writeFileSync(file, before);
      expect(moved(await up())).toEqual([]);
      expect(rayClusterUrns()).toEqual([
        "ray-playground-my-cluster-raycluster",
        "recsys-two-tower-raycluster",
        "tech-research-gnn-raycluster",
      ]);
    } finally {
      fs.writeFileSync(file, current);
    }
    // Today's program: its aliases take the old names over; nothing is created, deleted or replaced.
    expect(moved(await up())).toEqual([]);
    expect(rayClusterUrns()).toEqual([
      "ray-playground/my-cluster-raycluster",
      "recsys/two-tower-raycluster",
      "tech-research/gnn-raycluster",
    ]);
    expect(uids(await rayClusters())).toEqual(clusters);
  });

  test("adding an autoscaled worker group to an existing cluster deploys", async () => {
    await deployed();
    teams.write(
      TEAM,
      teams
        .read(TEAM)
        .replace(
          "      - name: preprocess",
          "      - name: extra\n        cpu: 4\n        memory: 16Gi\n        minReplicas: 0\n        maxReplicas: 2\n      - name: preprocess",
        ),
    );
    await up();
    expect(group(await rc(), "extra")).toMatchObject({ minReplicas: 0, maxReplicas: 2 });
  });
});
