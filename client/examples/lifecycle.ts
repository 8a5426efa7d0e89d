// The seed's Python SDK example, in TypeScript with rayctl's SDK: create a cluster and wait
// for it, read its head IP and workers, scale its worker group, get it again, delete it.
import { type ConnectOptions, createCluster, getCluster } from "../src/sdk";

export async function main(
  connection: ConnectOptions = {},
  log: (line: string) => void = console.log,
): Promise<void> {
  const CLUSTER_NAME = `sdk-test-${new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-")}`;
  const NAMESPACE = "ray-playground";
  const NUM_WORKERS = 1;

  // Create a new cluster
  const cluster = await createCluster(
    {
      name: CLUSTER_NAME,
      namespace: NAMESPACE,
      cpusInHead: 1,
      memoryInHead: "2Gi",
      cpusPerWorker: 1,
      memoryPerWorker: "2Gi",
      workerReplicas: NUM_WORKERS,
      awaitReady: true, // resolves once the cluster is ready
      onProgress: (line) => log(`  ${line}`),
    },
    connection,
  );
  log(`Cluster head IP: ${cluster.headIp}`);
  log(`Cluster has ${cluster.numWorkers} workers`);
  await cluster.scaleWorkerGroup("group1", 2);

  // Get an existing cluster
  const existing = await getCluster(CLUSTER_NAME, NAMESPACE, connection);
  log(
    `${existing.name}: ${existing.workerGroups.map((g) => `${g.name} x${g.replicas}`).join(", ")}; dashboard ${existing.endpoints.dashboard}`,
  );
  await existing.delete();
}

if (require.main === module)
  main().catch((err) => {
    console.error(err.message);
    process.exitCode = 1;
  });
