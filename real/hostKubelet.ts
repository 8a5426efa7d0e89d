/**
 * A kubelet for the host nodes (the stack's system pool): it runs the pods the scheduler binds
 * there whose images it has a binary for (the KubeRay operator, Kueue), each as a host process
 * in a sandbox of its own, as a container runtime would:
 *
 * - a network namespace with its own address on the bridge (the pod IP), so the API server
 *   reaches its webhooks and APIService through the Service's endpoints;
 * - a mount namespace and a root made of the machine's system directories, with the pod's
 *   volumes (ConfigMaps, Secrets, projected service-account tokens, emptyDirs) at their mount
 *   paths, so the chart's arguments and config files work unchanged, and the operator talks to
 *   the API server with its own service account (the chart's RBAC is what it gets);
 * - env from the pod spec (values, fieldRefs, ConfigMap and Secret keys).
 *
 * Pod status follows the process: Running once started, Ready when its readiness probe
 * answers, restarted with a back-off when it exits; a deleted pod's process is stopped and the
 * pod removed. Pods on host nodes it has no binary for run nothing: they are reported Running
 * and Ready, as kwok reports the other nodes' pods (an owner's Deployment, say).
 * Differences from a kubelet, all deliberate: the `kubernetes` Service's env points at the
 * API server's own address (there is no kube-proxy for its ClusterIP), Secrets and ConfigMaps
 * are synced every second rather than every minute, and no resource limit is enforced.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type KubeApi } from "../client/src/kube";
import { type ControlPlane } from "./controlPlane";
import { BRIDGE, createSandbox, deleteSandbox, type Sandbox } from "./network";
import { sleep, start, status as httpStatus, stopAll, type Started } from "./processes";

/** A container image (without tag) this kubelet can run, and the host binary it runs. */
export type HostImages = Readonly<Record<string, string>>;

/** Directories of the machine a sandbox's root shares, read-only. */
const SYSTEM_DIRS = ["bin", "sbin", "usr", "lib", "lib64", "etc"];
const API_PORT = 6443;

interface RunningPod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly dir: string;
  readonly sandbox: Sandbox;
  readonly started: string;
  proc?: Started;
  restarts: number;
  nextStart: number;
  ready: boolean;
  /** Consecutive failed readiness probes, and when the next probe is due. */
  probeFailures: number;
  nextProbe: number;
  lastExit?: string;
  tokens: Map<string, { token: string; at: number }>;
}

export class HostKubelet {
  private readonly pods = new Map<string, RunningPod>();
  /** Pods it runs nothing for, reported Running: uid -> their address. */
  private readonly pretended = new Map<string, string>();
  private stopping = false;
  private loop?: Promise<void>;
  private readonly admin: KubeApi;
  /** Messages of failed sync rounds (the API server restarting, say), kept for a failing test's report. */
  readonly errors: string[] = [];

  constructor(
    private readonly cp: ControlPlane,
    private readonly images: HostImages,
  ) {
    this.admin = cp.api("admin");
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopping) {
        try {
          await this.sync();
        } catch (err) {
          this.errors.push((err as Error).message);
          if (this.errors.length > 50) this.errors.shift();
        }
        await sleep(500);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    for (const pod of this.pods.values()) await this.kill(pod);
    this.pods.clear();
  }

  /** The log file of a running pod's container, for a test's report. */
  logOf(namespace: string, name: string): string | undefined {
    return [...this.pods.values()].find((p) => p.namespace === namespace && p.name === name)?.proc?.log;
  }

  private async sync(): Promise<void> {
    const nodes = new Set(this.cp.hostNodes);
    const list = await this.admin.get("/api/v1/pods");
    const seen = new Set<string>();
    for (const pod of list.items as any[]) {
      if (!nodes.has(pod.spec.nodeName)) continue;
      const uid = pod.metadata.uid as string;
      seen.add(uid);
      if (pod.metadata.deletionTimestamp) {
        const running = this.pods.get(uid);
        if (running) {
          await this.kill(running);
          this.pods.delete(uid);
        }
        await this.admin
          .request("DELETE", `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
            body: { gracePeriodSeconds: 0, preconditions: { uid } },
          })
          .catch(() => undefined);
        continue;
      }
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
      let running = this.pods.get(uid);
      if (!running) {
        const binary = this.binaryOf(pod);
        if (!binary) {
          if (!this.pretended.has(uid)) await this.pretend(pod);
          continue;
        }
        running = this.admit(pod);
        this.pods.set(uid, running);
      }
      await this.tick(running, pod);
    }
    for (const [uid, running] of this.pods) {
      if (!seen.has(uid)) {
        await this.kill(running);
        this.pods.delete(uid);
      }
    }
  }

  private binaryOf(pod: any): string | undefined {
    if (pod.spec.containers.length !== 1 || (pod.spec.initContainers ?? []).length > 0) return undefined;
    const image = String(pod.spec.containers[0].image)
      .replace(/@sha256:.*$/, "")
      .replace(/:[^/:]+$/, "");
    return this.images[image];
  }

  /** A pod it has no binary for: Running and Ready, running nothing, with an address no one can dial. */
  private async pretend(pod: any): Promise<void> {
    const ip = `10.246.${(this.pretended.size >> 8) & 255}.${(this.pretended.size & 255) + 1}`;
    this.pretended.set(pod.metadata.uid, ip);
    const now = new Date().toISOString();
    await this.patchStatus(pod, {
      phase: "Running",
      hostIP: BRIDGE.ip,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({
        type,
        status: "True",
        lastTransitionTime: now,
      })),
      containerStatuses: pod.spec.containers.map((c: any) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    });
  }

  private admit(pod: any): RunningPod {
    const dir = path.join(this.cp.dir, "pods", `${pod.metadata.namespace}_${pod.metadata.name}`);
    fs.mkdirSync(path.join(dir, "volumes"), { recursive: true });
    fs.mkdirSync(path.join(dir, "root"), { recursive: true });
    return {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      dir,
      sandbox: createSandbox(),
      started: new Date().toISOString(),
      restarts: 0,
      nextStart: 0,
      ready: false,
      probeFailures: 0,
      nextProbe: 0,
      tokens: new Map(),
    };
  }

  /** One round for a pod: volumes synced, the process (re)started, readiness probed, status reported. */
  private async tick(running: RunningPod, pod: any): Promise<void> {
    await this.syncVolumes(running, pod);
    const container = pod.spec.containers[0];
    if (running.proc?.exited) {
      running.lastExit = running.proc.exited;
      running.proc = undefined;
      running.ready = false;
      running.restarts++;
      running.nextStart = Date.now() + Math.min(10_000, 1000 * 2 ** Math.min(running.restarts, 4));
    }
    if (!running.proc && Date.now() >= running.nextStart) running.proc = this.run(running, pod, container);
    await this.probe(running, container);
    await this.report(running, pod);
  }

  private async syncVolumes(running: RunningPod, pod: any): Promise<void> {
    const ns = pod.metadata.namespace;
    for (const vol of pod.spec.volumes ?? []) {
      const dir = path.join(running.dir, "volumes", vol.name);
      fs.mkdirSync(dir, { recursive: true });
      if (vol.emptyDir) continue;
      const files: Record<string, Buffer> = {};
      if (vol.configMap)
        Object.assign(
          files,
          await this.keys(ns, "configmaps", vol.configMap.name, vol.configMap.items, vol.configMap.optional),
        );
      if (vol.secret)
        Object.assign(
          files,
          await this.keys(ns, "secrets", vol.secret.secretName, vol.secret.items, vol.secret.optional),
        );
      for (const src of vol.projected?.sources ?? []) {
        if (src.serviceAccountToken)
          files[src.serviceAccountToken.path] = Buffer.from(
            await this.token(running, pod, src.serviceAccountToken),
          );
        if (src.configMap)
          Object.assign(
            files,
            await this.keys(
              ns,
              "configmaps",
              src.configMap.name,
              src.configMap.items,
              src.configMap.optional,
            ),
          );
        if (src.secret)
          Object.assign(
            files,
            await this.keys(ns, "secrets", src.secret.name, src.secret.items, src.secret.optional),
          );
        for (const item of src.downwardAPI?.items ?? [])
          files[item.path] = Buffer.from(String(fieldOf(pod, item.fieldRef?.fieldPath, running)));
      }
      // Each file replaced whole (write, then rename), keys before certificates: a server that
      // polls for tls.crt reads tls.key right after (Kueue's cert rotator does).
      const order = (f: string) => (f.endsWith(".crt") ? 1 : 0);
      for (const [file, data] of Object.entries(files).sort(([a], [b]) => order(a) - order(b))) {
        const target = path.join(dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        if (fs.existsSync(target) && fs.readFileSync(target).equals(data)) continue;
        fs.writeFileSync(`${target}.tmp`, data);
        fs.renameSync(`${target}.tmp`, target);
      }
    }
  }

  private async keys(
    ns: string,
    kind: "configmaps" | "secrets",
    name: string,
    items: { key: string; path: string }[] | undefined,
    optional?: boolean,
  ): Promise<Record<string, Buffer>> {
    let obj: any;
    try {
      obj = await this.admin.get(`/api/v1/namespaces/${ns}/${kind}/${name}`);
    } catch (err) {
      if (optional) return {};
      throw new Error(`pod volume: ${kind} ${ns}/${name}: ${(err as Error).message}`, { cause: err });
    }
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries<string>(obj.data ?? {}))
      data[k] = kind === "secrets" ? Buffer.from(v, "base64") : Buffer.from(v);
    for (const [k, v] of Object.entries<string>(obj.binaryData ?? {})) data[k] = Buffer.from(v, "base64");
    if (!items) return data;
    return Object.fromEntries(items.filter((i) => data[i.key]).map((i) => [i.path, data[i.key]!]));
  }

  /** A bound service-account token, as the kubelet requests it (TokenRequest), renewed after half its life. */
  private async token(
    running: RunningPod,
    pod: any,
    src: { audience?: string; expirationSeconds?: number; path: string },
  ): Promise<string> {
    const key = `${src.audience ?? ""}/${src.expirationSeconds ?? 3600}`;
    const ttl = src.expirationSeconds ?? 3600;
    const cached = running.tokens.get(key);
    if (cached && Date.now() - cached.at < (ttl * 1000) / 2) return cached.token;
    const sa = pod.spec.serviceAccountName ?? "default";
    const res = await this.admin.request(
      "POST",
      `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`,
      {
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: {
            audiences: src.audience ? [src.audience] : null,
            expirationSeconds: ttl,
            boundObjectRef: { kind: "Pod", apiVersion: "v1", name: pod.metadata.name, uid: pod.metadata.uid },
          },
        },
      },
    );
    running.tokens.set(key, { token: res.status.token, at: Date.now() });
    return res.status.token;
  }

  /** Starts the container's process in the pod's sandbox, with its root, mounts and env. */
  private run(running: RunningPod, pod: any, container: any): Started {
    const binary = this.binaryOf(pod)!;
    const command: string[] = container.command ?? ["/manager"];
    const root = path.join(running.dir, "root");
    const sh: string[] = [
      "set -e",
      `R=${q(root)}`,
      'mount -t tmpfs -o mode=755 rootfs "$R"',
      ...SYSTEM_DIRS.filter((d) => fs.existsSync(`/${d}`)).flatMap((d) => [
        `mkdir -p "$R/${d}"`,
        `mount --rbind /${d} "$R/${d}"`,
        `mount -o remount,bind,ro "$R/${d}" || true`,
      ]),
      'mkdir -p "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/run"',
      'mount -t proc proc "$R/proc"',
      'mount --rbind /dev "$R/dev"',
      'mount --rbind /sys "$R/sys"',
    ];
    for (const m of container.volumeMounts ?? []) {
      let src = path.join(running.dir, "volumes", m.name);
      if (m.subPath) src = path.join(src, m.subPath);
      const dst = `"$R"${q(m.mountPath)}`;
      sh.push(
        fs.existsSync(src) && fs.statSync(src).isDirectory()
          ? `mkdir -p ${dst}`
          : `mkdir -p "$(dirname ${dst})" && touch ${dst}`,
      );
      sh.push(`mount --bind ${q(src)} ${dst}${m.readOnly ? ` && mount -o remount,bind,ro ${dst}` : ""}`);
    }
    sh.push(
      `mkdir -p "$(dirname "$R"${q(command[0]!)})" && touch "$R"${q(command[0]!)} && mount --bind ${q(binary)} "$R"${q(command[0]!)}`,
    );
    const argv = [...command, ...(container.args ?? [])].map(q).join(" ");
    sh.push(`cd "$R" && exec chroot "$R" sh -c ${q(`cd ${container.workingDir ?? "/"} && exec ${argv}`)}`);
    const env = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOSTNAME: pod.metadata.name,
      ...this.env(running, pod, container),
    };
    return start(
      `${running.namespace}_${running.name}`,
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", sh.join("\n")],
      {
        logDir: this.cp.logDir,
        env,
        prefix: running.sandbox.exec,
      },
    );
  }

  private env(running: RunningPod, pod: any, container: any): Record<string, string> {
    // What the kubelet injects for the `kubernetes` Service, pointing at the API server itself.
    const env: Record<string, string> = {
      KUBERNETES_SERVICE_HOST: BRIDGE.ip,
      KUBERNETES_SERVICE_PORT: String(API_PORT),
      KUBERNETES_SERVICE_PORT_HTTPS: String(API_PORT),
      KUBERNETES_PORT: `tcp://${BRIDGE.ip}:${API_PORT}`,
    };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = expand(e.value, env);
      else if (e.valueFrom?.fieldRef)
        env[e.name] = String(fieldOf(pod, e.valueFrom.fieldRef.fieldPath, running));
      else if (e.valueFrom?.resourceFieldRef)
        env[e.name] = resourceOf(container, e.valueFrom.resourceFieldRef);
      else if (e.valueFrom)
        throw new Error(
          `pod ${running.namespace}/${running.name}: env ${e.name} from ${Object.keys(e.valueFrom).join(",")} is not supported by the test's host kubelet`,
        );
    }
    return env;
  }

  /**
   * The readiness probe, as the kubelet runs it: ready on a success, unready after
   * failureThreshold failures in a row, every periodSeconds once ready (at once until then,
   * so that a test does not wait initialDelaySeconds). Only httpGet probes; no probe: ready.
   */
  private async probe(running: RunningPod, container: any): Promise<void> {
    const probe = container.readinessProbe;
    if (!running.proc) {
      running.ready = false;
      return;
    }
    if (!probe?.httpGet) {
      running.ready = true;
      return;
    }
    if (running.ready && Date.now() < running.nextProbe) return;
    running.nextProbe = Date.now() + (probe.periodSeconds ?? 10) * 1000;
    const port =
      typeof probe.httpGet.port === "number"
        ? probe.httpGet.port
        : container.ports?.find((p: any) => p.name === probe.httpGet.port)?.containerPort;
    const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
    const code = await httpStatus(`${scheme}://${running.sandbox.ip}:${port}${probe.httpGet.path ?? "/"}`);
    if (code >= 200 && code < 400) {
      running.probeFailures = 0;
      running.ready = true;
    } else if (++running.probeFailures >= (probe.failureThreshold ?? 3)) running.ready = false;
  }

  private async report(running: RunningPod, pod: any): Promise<void> {
    const container = pod.spec.containers[0];
    const now = new Date().toISOString();
    const cond = (type: string, ok: boolean) => ({
      type,
      status: ok ? "True" : "False",
      lastTransitionTime: sameOr(pod, type, ok, now),
    });
    const state = running.proc
      ? { running: { startedAt: running.started } }
      : { waiting: { reason: "CrashLoopBackOff", message: `exited: ${running.lastExit}` } };
    const status = {
      phase: "Running",
      hostIP: BRIDGE.ip,
      hostIPs: [{ ip: BRIDGE.ip }],
      podIP: running.sandbox.ip,
      podIPs: [{ ip: running.sandbox.ip }],
      startTime: running.started,
      conditions: [
        cond("PodScheduled", true),
        cond("Initialized", true),
        cond("ContainersReady", running.ready),
        cond("Ready", running.ready),
      ],
      containerStatuses: [
        {
          name: container.name,
          image: container.image,
          imageID: "",
          ready: running.ready,
          started: !!running.proc,
          restartCount: running.restarts,
          state,
          ...(running.lastExit
            ? {
                lastState: {
                  terminated: {
                    exitCode: 1,
                    reason: "Error",
                    message: running.lastExit,
                    startedAt: running.started,
                    finishedAt: now,
                  },
                },
              }
            : {}),
        },
      ],
    };
    const current = pod.status ?? {};
    const unchanged =
      current.phase === "Running" &&
      current.podIP === status.podIP &&
      current.containerStatuses?.[0]?.ready === running.ready &&
      current.containerStatuses?.[0]?.restartCount === running.restarts &&
      !!current.containerStatuses?.[0]?.state?.running === !!running.proc;
    if (!unchanged) await this.patchStatus(pod, status);
  }

  private async patchStatus(pod: any, status: unknown): Promise<void> {
    await this.admin.request(
      "PATCH",
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
      {
        body: { status },
        contentType: "application/merge-patch+json",
      },
    );
  }

  private async kill(running: RunningPod): Promise<void> {
    if (running.proc) await stopAll([running.proc], 10_000);
    deleteSandbox(running.sandbox);
  }
}

/** A downward-API field of the pod. */
function fieldOf(pod: any, fieldPath: string | undefined, running: RunningPod): string {
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace;
    case "metadata.uid":
      return pod.metadata.uid;
    case "spec.nodeName":
      return pod.spec.nodeName;
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? "default";
    case "status.podIP":
      return running.sandbox.ip;
    case "status.hostIP":
      return BRIDGE.ip;
    default:
      throw new Error(
        `pod ${running.namespace}/${running.name}: fieldRef ${fieldPath} is not supported by the test's host kubelet`,
      );
  }
}

/** A container's limit or request, as resourceFieldRef gives it (GOMAXPROCS, GOMEMLIMIT). */
function resourceOf(container: any, ref: { resource: string; divisor?: string }): string {
  const [kind, name] = ref.resource.split(".") as ["limits" | "requests", string];
  const raw = container.resources?.[kind]?.[name] ?? container.resources?.requests?.[name];
  if (raw === undefined) return name === "cpu" ? "2" : String(24 * 2 ** 30);
  const units: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  const value = (q: string) => {
    const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q);
    return m ? Number(m[1]) * (units[m[2]!] ?? 1) : Number(q);
  };
  return String(Math.ceil(value(String(raw)) / value(ref.divisor ?? "1")));
}

/** $(VAR) references to earlier env entries, as the kubelet expands them. */
const expand = (v: string, env: Record<string, string>) =>
  v.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, k: string) => env[k] ?? m);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sameOr = (pod: any, type: string, ok: boolean, now: string) => {
  const c = pod.status?.conditions?.find((x: any) => x.type === type);
  return c && (c.status === "True") === ok ? c.lastTransitionTime : now;
};
