/**
 * The test network, inside the namespace real/run.sh made: a bridge the API server listens
 * on, and a network namespace per host pod (and per Ray node), each with its own address on
 * the bridge, as a pod has on a node. Needs root; names start with real/run.sh's prefix so
 * that its cleanup finds them even after a crash.
 */
import { execFileSync } from "node:child_process";

export const BRIDGE = { name: "rp0", ip: "10.244.255.1", prefix: 24 } as const;

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
const prefix = () => {
  const p = process.env.RP_NETNS_PREFIX;
  if (!p)
    throw new Error(
      "RP_NETNS_PREFIX is not set: run the real control plane's tests with npm run test:real (real/run.sh), which makes their network namespace.",
    );
  return p;
};

/** The bridge, once. */
export function ensureBridge(): void {
  if (ip("-o", "link", "show").includes(`: ${BRIDGE.name}:`)) return;
  ip("link", "add", BRIDGE.name, "type", "bridge");
  ip("addr", "add", `${BRIDGE.ip}/${BRIDGE.prefix}`, "dev", BRIDGE.name);
  ip("link", "set", BRIDGE.name, "up");
}

/** A sandbox: its own network namespace, loopback and an address on the bridge. */
export interface Sandbox {
  readonly netns: string;
  readonly ip: string;
  /** Runs a command inside the sandbox's network: prefix for spawn. */
  readonly exec: readonly string[];
}

/**
 * A sandbox on the next free address: several processes make them (the host kubelet, the
 * scenarios), so the namespace itself is the claim; `ip netns add` fails on a taken one.
 */
export function createSandbox(): Sandbox {
  ensureBridge();
  for (let n = 10; n <= 250; n++) {
    const netns = `${prefix()}-${n}`;
    try {
      ip("netns", "add", netns);
    } catch {
      continue;
    }
    const address = `10.244.255.${n}`;
    const hostSide = `rpv${n}`;
    ip("link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", netns);
    ip("link", "set", hostSide, "master", BRIDGE.name, "up");
    ip("-n", netns, "link", "set", "lo", "up");
    ip("-n", netns, "addr", "add", `${address}/${BRIDGE.prefix}`, "dev", "eth0");
    ip("-n", netns, "link", "set", "eth0", "up");
    ip("-n", netns, "route", "add", "default", "via", BRIDGE.ip);
    return { netns, ip: address, exec: ["ip", "netns", "exec", netns] };
  }
  throw new Error("the test bridge ran out of addresses (more than 240 sandboxes)");
}

export function deleteSandbox(s: Sandbox): void {
  try {
    ip("netns", "delete", s.netns);
  } catch {
    // already gone
  }
}
