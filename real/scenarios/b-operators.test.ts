/**
 * b. The real KubeRay operator and Kueue with the program's objects: every team-file RayCluster
 * gets its head pod and Services, its pods pass the platform's admission policies and run on
 * their pools' nodes, Kueue admits each cluster through its team's ClusterQueue; a cluster
 * beyond what the team may use waits in its queue, and one that needs more than the team's
 * quota borrows while the cohort has room.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RayPlatform } from "../../client/src/sdk";
import { loadPlatformConfig } from "../../config/load";
import { readStackConfig } from "../../plan/engine";
import { STACK } from "../stack";
import { TEAM } from "../users";
import { cp, deployed, real } from "./context";

const config = () =>
  loadPlatformConfig({
    stack: STACK,
    config: readStackConfig(real.projectDir, STACK),
    stackFileText: fs.readFileSync(path.join(real.projectDir, `Pulumi.${STACK}.yaml`), "utf8"),
    projectDir: real.projectDir,
  });

const admin = cp.api("admin");
const list = async (p: string): Promise<any[]> => (await admin.get(p)).items;
const podsOf = async (ns: string, cluster: string) =>
  (await list(`/api/v1/namespaces/${ns}/pods`)).filter(
    (p) => p.metadata.labels?.["ray.io/cluster"] === cluster,
  );
const workloadOf = async (ns: string, cluster: string) =>
  (await list(`/apis/kueue.x-k8s.io/v1beta2/namespaces/${ns}/workloads`)).find((w) =>
    w.metadata.ownerReferences?.some((o: any) => o.kind === "RayCluster" && o.name === cluster),
  );
const admitted = (w: any) =>
  w?.status?.conditions?.some((c: any) => c.type === "Admitted" && c.status === "True");

describe("b. the operators run the team files' clusters", () => {
  const cfg = config();
  const clusters = cfg.teams.flatMap((t) => t.rayClusters);
  beforeAll(deployed);

  test("KubeRay makes every team-file cluster's head and Services, and its pods run on their pools' nodes", async () => {
    expect(clusters.map((c) => `${c.namespace}/${c.name}`).sort()).toEqual([
      "ray-playground/my-cluster",
      "recsys/two-tower",
      "tech-research/gnn",
    ]);
    const nodes = new Map((await list("/api/v1/nodes")).map((n) => [n.metadata.name, n.metadata.labels]));
    for (const c of clusters) {
      await cp.waitFor(
        `${c.namespace}/${c.name} ready`,
        async () =>
          (await admin.get(`/apis/ray.io/v1/namespaces/${c.namespace}/rayclusters/${c.name}`)).status
            ?.state === "ready",
        120_000,
      );
      await admin.get(`/api/v1/namespaces/${c.namespace}/services/${c.name}-head-svc`);
      const pods = await podsOf(c.namespace, c.name);
      const head = pods.filter((p) => p.metadata.labels["ray.io/node-type"] === "head");
      expect(head, `${c.name}'s head`).toHaveLength(1);
      const fixedWorkers = c.workerGroups.reduce((n, g) => n + g.replicas, 0); // autoscaled groups start at minReplicas
      expect(pods.length - head.length, `${c.name}'s workers`).toBe(fixedWorkers);
      for (const p of pods) {
        expect(p.status.phase, p.metadata.name).toBe("Running");
        // The pod's nodeSelector is its pool's; the node it runs on carries those labels.
        const labels = nodes.get(p.spec.nodeName)!;
        for (const [k, v] of Object.entries<string>(p.spec.nodeSelector ?? {}))
          expect(labels[k], `${p.metadata.name} on ${p.spec.nodeName}: ${k}`).toBe(v);
        expect(
          Object.keys(p.spec.nodeSelector ?? {}).length,
          `${p.metadata.name} selects a pool`,
        ).toBeGreaterThan(0);
      }
    }
  });

  test("Kueue admits every team-file cluster through its team's ClusterQueue", async () => {
    for (const c of clusters) {
      const w = await workloadOf(c.namespace, c.name);
      expect(admitted(w), `${c.namespace}/${c.name}'s workload`).toBe(true);
      expect(w.status.admission.clusterQueue).toBe(c.namespace);
    }
  });

  describe("beyond the quota", () => {
    const sdk = RayPlatform.connect({ kubeconfig: cp.kubeconfig, context: cp.context("contributor") });
    const team = cfg.teams.find((t) => t.name === TEAM)!;
    const t4 = { quota: team.queue.nominal.gpus.t4 ?? 0, ceiling: team.queue.ceiling.gpus.t4 ?? 0 };
    /** A contributor's cluster of `workers` one-T4 workers, applied with kubectl: Kueue decides, not rayctl's quota check. */
    const apply = async (name: string, workers: number) => {
      const { objects } = await sdk.createCluster({
        namespace: TEAM,
        name,
        gpusPerWorker: 1,
        workerGpuType: "t4",
        workerReplicas: workers,
        cpusPerWorker: 2,
        memoryPerWorker: "8Gi",
        dryRun: "client",
      });
      cp.kubectl("contributor", ["create", "-f", "-"], objects.map((o) => JSON.stringify(o)).join("\n"));
    };
    const remove = () => {
      for (const name of ["borrower", "waiter"])
        cp.kubectl("admin", [
          "delete",
          `raycluster/${name}`,
          `secret/${name}-token`,
          "-n",
          TEAM,
          "--ignore-not-found",
        ]);
    };
    beforeAll(remove);
    afterAll(remove);

    test("a cluster needing more T4s than the team's quota is admitted by borrowing idle T4s from the cohort", async () => {
      expect(t4.ceiling).toBeGreaterThan(t4.quota);
      await apply("borrower", t4.quota + 1);
      await cp.waitFor("borrower admitted", async () => admitted(await workloadOf(TEAM, "borrower")), 60_000);
      // The ClusterQueue's usage shows the one T4 above the quota as borrowed.
      const borrowed = async () =>
        (await admin.get(`/apis/kueue.x-k8s.io/v1beta2/clusterqueues/${TEAM}`)).status.flavorsUsage
          .find((f: any) => f.name === "t4")
          ?.resources.find((r: any) => r.name === "nvidia.com/gpu")?.borrowed;
      await cp.waitFor("one T4 borrowed", async () => (await borrowed()) === "1", 30_000);
      await cp.waitFor(
        "borrower's workers running",
        async () =>
          (await podsOf(TEAM, "borrower")).filter((p) => p.status.phase === "Running").length ===
          t4.quota + 2,
        120_000,
      );
    });

    test("a cluster beyond what the team may use with borrowing waits in the queue, suspended, with no pod", async () => {
      await apply("waiter", t4.ceiling - t4.quota);
      await cp.waitFor(
        "waiter's workload",
        async () =>
          !!(await workloadOf(TEAM, "waiter"))?.status?.conditions?.some(
            (c: any) => c.type === "QuotaReserved" && c.status === "False",
          ),
        60_000,
      );
      const w = await workloadOf(TEAM, "waiter");
      expect(admitted(w)).toBe(false);
      const rc = await admin.get(`/apis/ray.io/v1/namespaces/${TEAM}/rayclusters/waiter`);
      expect(rc.spec.suspend).toBe(true);
      expect(await podsOf(TEAM, "waiter")).toEqual([]);
    });
  });
});
