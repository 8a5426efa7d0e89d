/**
 * f. The practitioner's client on the real control plane, with a contributor's credentials:
 * the bundled rayctl (as users get it, `node rayctl.js`) creates, waits for, lists,
 * describes, scales and deletes a cluster that the real KubeRay and Kueue run; a server-side
 * dry run is admitted; the quota check and the team-file refusal hold. The TypeScript SDK does
 * the same through its own API.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { RayPlatform } from "../../client/src/sdk";
import { rayctlBundled } from "../../test/rayctl";
import { TEAM } from "../users";
import { cp, deployed, real } from "./context";

const bundle = path.join(real.stateDir, "rayctl");
/** The bundled rayctl as the contributor: exit code and output. */
const rayctl = (args: string) =>
  rayctlBundled(path.join(bundle, "rayctl.js"), args, {
    flags: ["--kubeconfig", cp.kubeconfig, "--context", cp.context("contributor")],
  });

describe("f. rayctl and the SDK, as a contributor", () => {
  beforeAll(async () => {
    await deployed();
    if (!fs.existsSync(path.join(bundle, "rayctl.js")))
      execFileSync(process.execPath, [path.join(real.projectDir, "client", "build.mjs"), bundle], {
        cwd: real.projectDir,
      });
    for (const name of ["demo", "sdk-demo", "py-demo"]) await rayctl(`delete cluster ${name} -n ${TEAM}`);
    await rayctl(`job delete rj-demo -n ${TEAM}`);
  });

  test("create --wait, get, describe, scale, wait, delete", async () => {
    const created = await rayctl(
      `create cluster demo -n ${TEAM} --workers 1 --cpus-per-worker 2 --memory-per-worker 8Gi --wait --timeout 3m`,
    );
    expect(created.code, created.stderr).toBe(0);
    const got = await rayctl(`get cluster demo -n ${TEAM} -o json`);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout).metadata).toMatchObject({ name: "demo", namespace: TEAM });
    const described = await rayctl(`describe cluster demo -n ${TEAM}`);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toContain("demo");
    const scaled = await rayctl(`scale cluster demo -n ${TEAM} --worker-group group1 --replicas 2`);
    expect(scaled.code, scaled.stderr).toBe(0);
    const waited = await rayctl(`wait cluster demo -n ${TEAM} --timeout 3m`);
    expect(waited.code, waited.stderr).toBe(0);
    const workers = (
      await cp.api("admin").get(`/api/v1/namespaces/${TEAM}/pods`, {
        labelSelector: "ray.io/cluster=demo,ray.io/node-type=worker",
      })
    ).items;
    expect(workers.filter((p: any) => p.status.phase === "Running")).toHaveLength(2);
    // The Ray nodes and groups as the real KubeRay made them, scheduled onto the pools' nodes.
    const nodes = JSON.parse((await rayctl(`get nodes demo -n ${TEAM} -o json`)).stdout);
    expect(nodes.map((n: any) => [n.type, n.group, n.state])).toEqual([
      ["head", "head", "Running"],
      ["worker", "group1", "Running"],
      ["worker", "group1", "Running"],
    ]);
    expect(nodes.every((n: any) => typeof n.node === "string" && n.node.length > 0)).toBe(true);
    const groups = JSON.parse((await rayctl(`get workergroups demo -n ${TEAM} -o json`)).stdout);
    expect(groups).toMatchObject([
      {
        name: "group1",
        ready: 2,
        desired: 2,
        minReplicas: 2,
        maxReplicas: 2,
        autoscaled: false,
        cpus: 2,
        memory: "8Gi",
      },
    ]);
    const deleted = await rayctl(`delete cluster demo -n ${TEAM}`);
    expect(deleted.code, deleted.stderr).toBe(0);
    await cp.waitFor(
      "demo's pods gone",
      async () =>
        (
          await cp
            .api("admin")
            .get(`/api/v1/namespaces/${TEAM}/pods`, { labelSelector: "ray.io/cluster=demo" })
        ).items.length === 0,
      120_000,
    );
  });

  test("--dry-run=server is admitted by the API server, Kueue's webhooks and the platform's policies, and stores nothing", async () => {
    const r = await rayctl(
      `create cluster probe -n ${TEAM} --workers 1 --cpus-per-worker 2 --memory-per-worker 8Gi --dry-run=server -o json`,
    );
    expect(r.code, r.stderr).toBe(0);
    const rc = JSON.parse(r.stdout).items.find((o: any) => o.kind === "RayCluster");
    // Kueue's mutating webhook ran: it suspends a new cluster until admitted.
    expect(rc.spec.suspend).toBe(true);
    expect(
      (await cp.api("admin").get(`/apis/ray.io/v1/namespaces/${TEAM}/rayclusters`)).items.map(
        (c: any) => c.metadata.name,
      ),
    ).not.toContain("probe");
  });

  test("a cluster beyond the team's quota is refused with what to ask for, and a team file's cluster is not the client's", async () => {
    const over = await rayctl(`create cluster huge -n ${TEAM} --workers 30 --cpus-per-worker 15`);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/CPU/);
    const teamFile = await rayctl(`delete cluster two-tower -n ${TEAM}`);
    expect(teamFile.code).toBe(2);
    expect(teamFile.stderr).toContain("comes from the team file recsys.yaml");
  });

  test("in the playground, a cluster comes with its own-pods NetworkPolicy, which goes with it", async () => {
    const np = `/apis/networking.k8s.io/v1/namespaces/ray-playground/networkpolicies/pg-demo-own-pods`;
    const created = await rayctl(`create cluster pg-demo -n ray-playground --workers 0`);
    expect(created.code, created.stderr).toBe(0);
    const policy = await cp.api("admin").get(np);
    expect(policy.metadata.ownerReferences[0]).toMatchObject({ kind: "RayCluster", name: "pg-demo" });
    expect(policy.spec.podSelector).toEqual({ matchLabels: { "ray.io/cluster": "pg-demo" } });
    expect((await rayctl(`delete cluster pg-demo -n ray-playground`)).code).toBe(0);
    await cp.waitFor(
      "pg-demo's policy gone with it (garbage collector)",
      async () =>
        cp
          .api("admin")
          .get(np)
          .then(
            () => false,
            () => true,
          ),
      60_000,
    );
  });

  test("job submit: the API server, the platform's admission and Kueue admit the RayJob; KubeRay makes its cluster and submitter; job list shows it; job delete removes them (issue 25)", async () => {
    const dir = fs.mkdtempSync(path.join(real.stateDir, "job-"));
    fs.writeFileSync(path.join(dir, "main.py"), "print('hello from the job')\n");
    const submitted = await rayctl(
      `job submit -n ${TEAM} --name rj-demo --workers 1 --cpus-per-worker 2 --memory-per-worker 8Gi --working-dir ${dir} -- python main.py`,
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const admin = cp.api("admin");
    const ns = `/apis/ray.io/v1/namespaces/${TEAM}`;
    // Kueue queues it as a whole (one Workload, owned by the job) and admits it.
    const workloads = async () =>
      (await admin.get(`/apis/kueue.x-k8s.io/v1beta2/namespaces/${TEAM}/workloads`)).items.filter((w: any) =>
        w.metadata.ownerReferences?.some((o: any) => o.kind === "RayJob" && o.name === "rj-demo"),
      );
    await cp.waitFor(
      "Kueue admitting rj-demo",
      async () =>
        (await workloads()).some((w: any) =>
          w.status?.conditions?.some((c: any) => c.type === "Admitted" && c.status === "True"),
        ),
      120_000,
    );
    expect(await workloads()).toHaveLength(1);
    // KubeRay's cluster for it (which the RayCluster admission rule let name the job's token), then the submitter Job.
    let clusterName = "";
    await cp.waitFor(
      "KubeRay making rj-demo's cluster",
      async () => {
        const made = (await admin.get(`${ns}/rayclusters`)).items.find((c: any) =>
          c.metadata.ownerReferences?.some((o: any) => o.kind === "RayJob" && o.name === "rj-demo"),
        );
        clusterName = made?.metadata.name ?? "";
        return !!made;
      },
      120_000,
    );
    expect(clusterName).toMatch(/^rj-demo-[a-z0-9]{5}$/);
    expect((await admin.get(`${ns}/rayclusters/${clusterName}`)).spec.authOptions).toEqual({
      mode: "token",
      secretName: "rj-demo-token",
    });
    await cp.waitFor(
      "KubeRay making rj-demo's submitter Job",
      async () =>
        admin.get(`/apis/batch/v1/namespaces/${TEAM}/jobs/rj-demo`).then(
          () => true,
          () => false,
        ),
      180_000,
    );
    const job = await admin.get(`/apis/batch/v1/namespaces/${TEAM}/jobs/rj-demo`);
    expect(job.spec.template.spec.serviceAccountName).toBe("ray");
    expect(job.spec.template.spec.volumes.find((v: any) => v.configMap).configMap.name).toBe(
      "rj-demo-working-dir",
    );
    const listed = JSON.parse((await rayctl(`job list -n ${TEAM} -o json`)).stdout).items.map(
      (j: any) => j.metadata.name,
    );
    expect(listed).toContain("rj-demo");
    // KubeRay reports on it (on kwok's nodes no container runs, so the Ray job itself never starts).
    expect(JSON.parse((await rayctl(`job describe rj-demo -n ${TEAM} -o json`)).stdout)).toMatchObject({
      name: "rj-demo",
      cluster: clusterName,
      ownCluster: true,
    });
    expect((await rayctl(`job delete rj-demo -n ${TEAM}`)).code).toBe(0);
    await cp.waitFor(
      "rj-demo's cluster gone with it",
      async () =>
        admin.get(`${ns}/rayclusters/${clusterName}`).then(
          () => false,
          () => true,
        ),
      120_000,
    );
  });

  test("the SDK creates, awaits, scales and deletes the same way", async () => {
    const sdk = RayPlatform.connect({ kubeconfig: cp.kubeconfig, context: cp.context("contributor") });
    const cluster = await sdk.createCluster({
      namespace: TEAM,
      name: "sdk-demo",
      workerReplicas: 1,
      cpusPerWorker: 2,
      memoryPerWorker: "8Gi",
      awaitReady: true,
      timeoutSeconds: 180,
    });
    expect([cluster.name, cluster.state, cluster.numWorkers]).toEqual(["sdk-demo", "ready", 1]);
    await cluster.scaleWorkerGroup("group1", 2);
    await cluster.awaitReady({ timeoutSeconds: 180 });
    expect((await sdk.getCluster("sdk-demo", TEAM)).numWorkers).toBe(2);
    await cluster.delete();
    await cp.waitFor(
      "sdk-demo gone",
      async () =>
        !(await cp.api("admin").get(`/apis/ray.io/v1/namespaces/${TEAM}/rayclusters`)).items.some(
          (c: any) => c.metadata.name === "sdk-demo",
        ),
      60_000,
    );
  });
  test("the Python SDK runs the seed's session the same way (client/python/examples/seed_example.py)", async () => {
    const python = execFileSync(
      "bash",
      [path.join(real.projectDir, "client", "python", "test.sh"), "--setup-only"],
      { cwd: real.projectDir, encoding: "utf8" },
    )
      .trim()
      .split("\n")
      .pop()!;
    const env = {
      ...process.env,
      KUBECONFIG: cp.kubeconfig,
      RAY_PLATFORM_CONTEXT: cp.context("contributor"),
      RAYCTL_TOKEN_DIR: path.join(real.stateDir, "python-tokens"),
    };
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        python,
        [path.join(real.projectDir, "client", "python", "examples", "seed_example.py"), TEAM, "py-demo"],
        { env, timeout: 600_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const [created, scaled, token, deleted] = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(created).toMatchObject({ created: "py-demo", status: "ready", workers: 1 });
    expect(created.head_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(scaled).toMatchObject({ scaled: "py-demo", workers: 2 });
    expect(scaled.listed).toContain("py-demo");
    expect(token).toEqual({ token_length: 48 });
    expect(deleted).toEqual({ deleted: "py-demo" });
  });
});
