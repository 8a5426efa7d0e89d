/**
 * A real Kubernetes control plane for the tests, built from Go modules (real/build.sh): etcd,
 * kube-apiserver with RBAC, ValidatingAdmissionPolicy (on by default since 1.30) and a token
 * file of test users, kube-controller-manager and kube-scheduler, and kwok, which makes the
 * stack's node pools exist and runs their pods without a kubelet. It runs inside the network
 * namespace real/run.sh made: everything listens there, nothing reaches the machine's network.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { KubeApi, loadKubeconfig } from "../client/src/kube";
import { type ResolvedPool } from "../config/nodePools";
import { GPU_RESOURCE } from "../config/wire";
import { BRIDGE, ensureBridge } from "./network";
import { makePki, type Pki } from "./pki";
import { sleep, start, stopAll, waitHealthy, type Started } from "./processes";
import { USERS, type UserRole } from "./users";

const BASE_PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  controllerManager: 10257,
  scheduler: 10259,
  kwok: 10247,
};
/** Ports of control plane `instance` (0, 1, ...): a second one beside the first, for a scenario that needs a fresh one. */
const portsOf = (instance: number) =>
  Object.fromEntries(
    Object.entries(BASE_PORTS).map(([k, v]) => [k, v + 100 * instance]),
  ) as typeof BASE_PORTS;
const SERVICE_RANGE = "10.96.0.0/16";
/** Pod IPs kwok hands out: not routable, and nothing dials them (pods on kwok nodes run nothing). */
const KWOK_POD_CIDR = "10.245.0.0/16";
/** The annotation kwok manages nodes by; the stack's labels stay exactly the pools' own. */
const KWOK_NODE = { key: "kwok.x-k8s.io/node", value: "fake" };
/** The kubeconfig context of the administrator; the test stack's kubeconfigContext. */
export const ADMIN_CONTEXT = "ray-platform-real";

/** Where real/build.sh put a component (its directory, with bin/); fails naming one not built. */
export function component(
  name: "etcd" | "kwok" | "kuberay" | "kueue" | "kubernetes" | "pulumi" | "pulumi_kubernetes" | "ray",
): string {
  built ??= Object.fromEntries(
    execFileSync("bash", [path.join(__dirname, "build.sh"), "--paths"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("=", 2) as [string, string]),
  );
  const dir = built[name];
  if (!dir)
    throw new Error(
      `${name} is not built: run \`bash real/build.sh ${name}\` (npm run test:real builds what is missing).`,
    );
  return dir;
}
let built: Record<string, string> | undefined;

export interface ControlPlaneOptions {
  /** A fresh directory for certificates, data, kubeconfig and logs. */
  readonly dir: string;
  /** The stack's node pools: kwok nodes labelled and tainted like them (maxNodes each). */
  readonly pools: readonly ResolvedPool[];
  /** Pools whose nodes run their pods as host processes (real/hostKubelet.ts), not through kwok. */
  readonly hostPools: readonly string[];
  /** Which control plane this is, when several run at once (their ports differ); default 0. */
  readonly instance?: number;
}

/** What a test process needs to talk to a running control plane (vitest's globalSetup provides it). */
export interface ControlPlaneInfo {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly kubectl: string;
  readonly logDir: string;
  readonly hostNodes: readonly string[];
}

/** Requests to a running control plane as its test users. */
export class ControlPlaneClient {
  private readonly apis = new Map<UserRole, KubeApi>();

  constructor(readonly info: ControlPlaneInfo) {}

  get kubeconfig(): string {
    return this.info.kubeconfig;
  }

  /** The kubeconfig context of a test user. */
  context(role: UserRole): string {
    return role === "admin" ? ADMIN_CONTEXT : `as-${role}`;
  }

  /** The API as a test user. */
  api(role: UserRole): KubeApi {
    let api = this.apis.get(role);
    if (!api)
      this.apis.set(
        role,
        (api = new KubeApi(loadKubeconfig({ file: this.info.kubeconfig, context: this.context(role) }))),
      );
    return api;
  }

  /**
   * The API as a service account, with a token the API server issues for it (TokenRequest),
   * bound to a pod when given, as the kubelet's projected tokens are (the request's user then
   * names the pod: authentication.kubernetes.io/pod-name).
   */
  async serviceAccountApi(
    namespace: string,
    name: string,
    pod?: { name: string; uid: string },
  ): Promise<KubeApi> {
    const boundObjectRef = pod ? { kind: "Pod", apiVersion: "v1", name: pod.name, uid: pod.uid } : undefined;
    const res = await this.api("admin").request(
      "POST",
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      {
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 3600, boundObjectRef },
        },
      },
    );
    return new KubeApi({ ...this.api("admin").target, token: res.status.token });
  }

  /** kubectl at the API server's version, as a test user. */
  kubectl(role: UserRole, args: readonly string[], input?: string): string {
    return execFileSync(
      this.info.kubectl,
      [`--kubeconfig=${this.info.kubeconfig}`, `--context=${this.context(role)}`, ...args],
      { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] },
    );
  }

  /** Polls `check` until it holds; fails with what was awaited (and `proc`'s log, if it died). */
  async waitFor(
    what: string,
    check: () => Promise<boolean>,
    timeoutMs: number,
    proc?: Started,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      if (proc?.exited)
        throw new Error(`${proc.name} exited (${proc.exited}) while waiting for ${what}; see ${proc.log}`);
      try {
        if (await check()) return;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
        );
      await sleep(250);
    }
  }

  close(): void {
    for (const api of this.apis.values()) api.close();
    this.apis.clear();
  }
}

/** The control plane's processes; started once per test run (real/globalSetup.ts). */
export class ControlPlane extends ControlPlaneClient {
  readonly server: string;
  private readonly procs: Started[] = [];

  private constructor(
    readonly dir: string,
    readonly pki: Pki,
    readonly bin: Record<string, string>,
    private readonly ports: typeof BASE_PORTS,
  ) {
    const logDir = path.join(dir, "logs");
    fs.mkdirSync(logDir, { recursive: true });
    super({ dir, kubeconfig: path.join(dir, "kubeconfig"), kubectl: bin.kubectl!, logDir, hostNodes: [] });
    this.server = `https://${BRIDGE.ip}:${ports.apiserver}`;
  }

  get logDir(): string {
    return this.info.logDir;
  }

  get hostNodes(): readonly string[] {
    return this.info.hostNodes;
  }

  /** Starts everything and resolves once the API serves, controllers run and every node is Ready. */
  static async start(opts: ControlPlaneOptions): Promise<ControlPlane> {
    ensureBridge();
    const bin = (c: Parameters<typeof component>[0], b: string) => path.join(component(c), "bin", b);
    const cp = new ControlPlane(
      opts.dir,
      makePki(path.join(opts.dir, "pki"), [BRIDGE.ip, "127.0.0.1", "10.96.0.1"]),
      {
        etcd: bin("etcd", "etcd"),
        apiserver: bin("kubernetes", "kube-apiserver"),
        controllerManager: bin("kubernetes", "kube-controller-manager"),
        scheduler: bin("kubernetes", "kube-scheduler"),
        kubectl: bin("kubernetes", "kubectl"),
        kwok: bin("kwok", "kwok"),
        kwokStages: path.join(component("kwok"), "stages"),
      },
      portsOf(opts.instance ?? 0),
    );
    try {
      await cp.boot(opts);
    } catch (err) {
      await cp.stop();
      throw err;
    }
    return cp;
  }

  private async boot(opts: ControlPlaneOptions): Promise<void> {
    const tokens = this.writeKubeconfig();
    const etcd = this.spawn("etcd", this.bin.etcd!, [
      `--data-dir=${path.join(this.dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${this.ports.etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${this.ports.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${this.ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${this.ports.etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${this.ports.etcdPeer}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    await waitHealthy(etcd, `http://127.0.0.1:${this.ports.etcdClient}/health`, 30_000);

    const p = this.pki;
    const tokenFile = path.join(this.dir, "tokens.csv");
    fs.writeFileSync(
      tokenFile,
      Object.entries(USERS)
        .map(([role, u]) => `${tokens[role as UserRole]},${u.name},${role},"${u.groups.join(",")}"`)
        .join("\n") + "\n",
    );
    const apiserver = this.spawn("kube-apiserver", this.bin.apiserver!, [
      `--etcd-servers=http://127.0.0.1:${this.ports.etcdClient}`,
      "--bind-address=0.0.0.0",
      `--advertise-address=${BRIDGE.ip}`,
      `--secure-port=${this.ports.apiserver}`,
      `--tls-cert-file=${p.serverCert}`,
      `--tls-private-key-file=${p.serverKey}`,
      `--client-ca-file=${p.caCert}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${p.serviceAccountPub}`,
      `--service-account-signing-key-file=${p.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_RANGE}`,
      // The aggregator (Kueue's visibility API) and admission webhooks dial a Service's ready
      // pod, not its ClusterIP: there is no kube-proxy here, and host pods have real addresses.
      "--enable-aggregator-routing=true",
      `--requestheader-client-ca-file=${p.frontProxyCaCert}`,
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      `--proxy-client-cert-file=${p.frontProxyClientCert}`,
      `--proxy-client-key-file=${p.frontProxyClientKey}`,
      "--profiling=false",
      "--v=1",
    ]);
    await waitHealthy(apiserver, `${this.server}/readyz`, 60_000, {
      Authorization: `Bearer ${tokens.admin}`,
    });

    const controllerManager = this.spawn("kube-controller-manager", this.bin.controllerManager!, [
      `--kubeconfig=${this.info.kubeconfig}`,
      `--authentication-kubeconfig=${this.info.kubeconfig}`,
      `--authorization-kubeconfig=${this.info.kubeconfig}`,
      "--leader-elect=false",
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${p.serviceAccountKey}`,
      `--root-ca-file=${p.caCert}`,
      `--cluster-signing-cert-file=${p.caCert}`,
      `--cluster-signing-key-file=${p.caKey}`,
      `--service-cluster-ip-range=${SERVICE_RANGE}`,
      // Default 5m. The quota controller counts objects of a newly discovered CRD (RayClusters)
      // only at its next full resync, and until then refuses them in quotas that count them
      // (render/tenancy.ts quotaMeta): a fresh cluster's first up waits that long. Shortened
      // here so that the scenarios do not wait five minutes; the wait itself is the program's.
      "--resource-quota-sync-period=15s",
      "--bind-address=127.0.0.1",
      `--secure-port=${this.ports.controllerManager}`,
      "--controllers=*",
    ]);
    const scheduler = this.spawn("kube-scheduler", this.bin.scheduler!, [
      `--kubeconfig=${this.info.kubeconfig}`,
      `--authentication-kubeconfig=${this.info.kubeconfig}`,
      `--authorization-kubeconfig=${this.info.kubeconfig}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${this.ports.scheduler}`,
    ]);
    await waitHealthy(controllerManager, `https://127.0.0.1:${this.ports.controllerManager}/healthz`, 60_000);
    await waitHealthy(scheduler, `https://127.0.0.1:${this.ports.scheduler}/healthz`, 60_000);

    const nodes = this.nodes(opts.pools, opts.hostPools);
    (this.info as { hostNodes: readonly string[] }).hostNodes = nodes
      .filter((n) => n.host)
      .map((n) => n.node.metadata.name);
    const kwok = this.spawn("kwok", this.bin.kwok!, [
      `--kubeconfig=${this.info.kubeconfig}`,
      `--config=${this.kwokConfig(this.hostNodes)}`,
      `--manage-nodes-with-annotation-selector=${KWOK_NODE.key}=${KWOK_NODE.value}`,
      `--cidr=${KWOK_POD_CIDR}`,
      `--node-ip=${BRIDGE.ip}`,
      `--server-address=127.0.0.1:${this.ports.kwok}`,
      // Node leases are the heartbeat its stock stages assume; left unset, kwok renews none
      // and the node lifecycle controller marks every node NotReady after 50 s.
      "--node-lease-duration-seconds=40",
    ]);
    const admin = this.api("admin");
    for (const { node } of nodes) await admin.request("POST", "/api/v1/nodes", { body: node });
    await this.waitFor(
      "every node Ready",
      async () => {
        const list = await admin.get("/api/v1/nodes");
        return (
          list.items.length === nodes.length &&
          list.items.every((n: any) =>
            n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
          )
        );
      },
      60_000,
      kwok,
    );
    // Namespaces' service accounts (and their tokens) come from the controller manager.
    await this.waitFor(
      "the default service account",
      async () => (await admin.get("/api/v1/namespaces/default/serviceaccounts")).items.length > 0,
      60_000,
      controllerManager,
    );
  }

  /** kwok nodes for every pool (maxNodes each), with the pool's labels, taints and shape. */
  private nodes(
    pools: readonly ResolvedPool[],
    hostPools: readonly string[],
  ): { host: boolean; node: any }[] {
    return pools.flatMap((pool) =>
      Array.from({ length: pool.maxNodes }, (_, i) => {
        const name = `${pool.name}-${i}`;
        // A little more than one Ray pod may ask for: one Ray pod per node, as on GKE.
        const cpu = pool.capacity ? `${pool.capacity.cpu * 1000 + 500}m` : "16";
        const memory = pool.capacity ? `${pool.capacity.memoryGi + 1}Gi` : "64Gi";
        const resources: Record<string, string> = { cpu, memory, pods: "110", "ephemeral-storage": "100Gi" };
        if (pool.gpu) resources[GPU_RESOURCE] = String(pool.gpu.count);
        const node = {
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name,
            labels: {
              ...pool.nodeLabels,
              ...pool.selector,
              "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64",
            },
            annotations: { [KWOK_NODE.key]: KWOK_NODE.value },
          },
          spec: { taints: pool.taints.map((t) => ({ ...t })) },
          status: {
            allocatable: resources,
            capacity: resources,
            addresses: [{ type: "InternalIP", address: BRIDGE.ip }],
          },
        };
        return { host: hostPools.includes(pool.name), node };
      }),
    );
  }

  /** kwok's stock stages, except that pods on host nodes are real/hostKubelet.ts's to run. */
  private kwokConfig(hostNodes: readonly string[]): string {
    const docs = fs
      .readdirSync(this.bin.kwokStages!)
      .sort()
      .flatMap((f) =>
        parseAllDocuments(fs.readFileSync(path.join(this.bin.kwokStages!, f), "utf8")).map((d) => d.toJS()),
      );
    for (const stage of docs) {
      if (stage.spec.resourceRef.kind !== "Pod") continue;
      stage.spec.selector.matchExpressions.push({
        key: ".spec.nodeName",
        operator: "NotIn",
        values: [...hostNodes],
      });
    }
    const file = path.join(this.dir, "kwok.yaml");
    fs.writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
    return file;
  }

  /** One kubeconfig with a context per user; the administrator's is current. Returns the tokens. */
  private writeKubeconfig(): Record<UserRole, string> {
    const tokens = Object.fromEntries(
      Object.keys(USERS).map((role) => [role, randomBytes(24).toString("hex")]),
    ) as Record<UserRole, string>;
    const ca = fs.readFileSync(this.pki.caCert).toString("base64");
    const roles = Object.keys(USERS) as UserRole[];
    const contextOf = (role: UserRole) => (role === "admin" ? ADMIN_CONTEXT : `as-${role}`);
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "real", cluster: { server: this.server, "certificate-authority-data": ca } }],
      users: roles.map((role) => ({ name: role, user: { token: tokens[role] } })),
      contexts: roles.map((role) => ({ name: contextOf(role), context: { cluster: "real", user: role } })),
      "current-context": ADMIN_CONTEXT,
    };
    fs.writeFileSync(this.info.kubeconfig, stringify(config), { mode: 0o600 });
    return tokens;
  }

  spawn(
    name: string,
    command: string,
    args: readonly string[],
    opts: { env?: NodeJS.ProcessEnv; prefix?: readonly string[] } = {},
  ): Started {
    const p = start(name, command, args, { logDir: this.logDir, ...opts });
    this.procs.push(p);
    return p;
  }

  /** Stops every process (the newest first: controllers before the API server before etcd). */
  async stop(): Promise<void> {
    this.close();
    const procs = [...this.procs].reverse();
    for (const p of procs) await stopAll([p]);
  }
}
