/**
 * The fake Kubernetes API of the client tests, as a process, for the Python SDK's pytest
 * (client/python/tests): seeded with what the program renders for the dev stack, with KubeRay
 * simulated (FAKE_KUBERAY=stuck: it never makes a cluster ready). Prints one JSON line ({"kubeconfig": ..., "server": ...}) and serves until its
 * stdin closes. Users: the kubeconfig's contexts alice (a recsys contributor), bob, admin.
 */
import * as path from "node:path";
import { evaluate } from "../plan/engine";
import { manifestOf } from "../plan/manifests";
import { seededFake, writeKubeconfig } from "./fakeKube";

async function main(): Promise<void> {
  const { resources } = await evaluate({
    stack: "dev",
    projectDir: path.join(__dirname, ".."),
    loadProgram: () => import("../index"),
  });
  const kuberay = process.env.FAKE_KUBERAY === "stuck" ? "stuck" : "auto";
  const { fake, server } = await seededFake(
    resources.map(manifestOf).filter((m): m is Record<string, any> => !!m),
    { kuberay },
  );
  process.stdout.write(`${JSON.stringify({ kubeconfig: writeKubeconfig(server), server })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void fake.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
