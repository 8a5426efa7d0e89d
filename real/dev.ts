/**
 * A real control plane that stays up, for developing scenarios (run by real/run.sh --dev):
 * writes its context to <dir>/context.json and waits; Ctrl-C stops and removes it. Then, in
 * another shell: RP_ATTACH=<dir>/context.json npm run test:real -- -t "second up".
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startReal } from "./globalSetup";

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rp-dev-"));
  const { context, stop } = await startReal(dir);
  const file = path.join(dir, "context.json");
  fs.writeFileSync(file, JSON.stringify({ ...context, netns: process.env.RP_NETNS_PREFIX }));
  console.log(
    `control plane ready in ${(context.startupMs / 1000).toFixed(1)} s\n  kubectl --kubeconfig ${context.controlPlane.kubeconfig} get nodes  (inside: ip netns exec ${process.env.RP_NETNS_PREFIX} ...)\n  RP_ATTACH=${file} npm run test:real -- <vitest arguments>`,
  );
  const quit = async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGINT", quit);
  process.on("SIGTERM", quit);
  setInterval(() => undefined, 1 << 30);
}

void main();
