/**
 * The Kubernetes REST API, as much of it as the client uses: the user's kubeconfig (token,
 * client certificate or an exec plugin such as gke-gcloud-auth-plugin), JSON requests, and
 * the API server's Status objects turned into errors. Hand-written rather than
 * @kubernetes/client-node: six verbs over one connection, no 30 dependencies in a CLI that
 * must start in under 300 ms.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { load as loadYaml } from "js-yaml";
import { type RayCluster } from "../../render/kuberay-types.generated";

/**
 * A RayCluster as the API server returns it: KubeRay's CRD type (render/kuberay-types.generated.ts),
 * with the metadata the server keeps on every stored object (the CRD leaves metadata to it).
 */
export type StoredRayCluster = RayCluster & {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

/** The client cannot talk to the cluster at all (kubeconfig, network, credentials). */
export class ConnectionError extends Error {
  override name = "ConnectionError";
}

interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
}

export interface KubeTarget {
  readonly server: string;
  readonly context: string;
  /** The context's namespace, if it names one. */
  readonly namespace?: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure?: boolean;
  readonly token?: string;
  readonly exec?: ExecConfig;
}

type Named<T> = { name: string } & T;
interface Kubeconfig {
  "current-context"?: string;
  clusters?: Named<{ cluster: Record<string, string | boolean> }>[];
  users?: Named<{ user: Record<string, unknown> }>[];
  contexts?: Named<{ context: { cluster: string; user: string; namespace?: string } }>[];
}

/**
 * The kubeconfig kubectl would use: --kubeconfig, else every file of $KUBECONFIG merged as
 * client-go merges them (clientcmd loader.go: the first file to set a context, cluster, user or
 * current-context wins; missing files are skipped; relative paths are resolved against the file
 * that set them), else ~/.kube/config. test/kubeconfig.test.ts checks it against kubectl.
 */
export function loadKubeconfig(
  opts: { file?: string; context?: string; env?: NodeJS.ProcessEnv } = {},
): KubeTarget {
  const env = opts.env ?? process.env;
  const listed = env.KUBECONFIG?.split(path.delimiter).filter((f) => f !== "") ?? [];
  const files = opts.file
    ? [opts.file]
    : listed.length > 0
      ? listed
      : [path.join(env.HOME ?? os.homedir(), ".kube", "config")];
  const merged: Required<Kubeconfig> = { "current-context": "", clusters: [], users: [], contexts: [] };
  /** The directory of the file that set each entry, for its relative paths. */
  const dirOf = new Map<unknown, string>();
  let read = 0;
  for (const file of files) {
    if (files.length > 1 && !fs.existsSync(file)) continue;
    let cfg: Kubeconfig;
    try {
      cfg = (loadYaml(fs.readFileSync(file, "utf8")) as Kubeconfig) ?? {};
    } catch (err) {
      throw new ConnectionError(
        `cannot read the kubeconfig ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run \`gcloud container clusters get-credentials <cluster> --region <region> --dns-endpoint\` or pass --kubeconfig.`,
      );
    }
    read++;
    merged["current-context"] ||= cfg["current-context"] ?? "";
    for (const kind of ["clusters", "users", "contexts"] as const) {
      for (const entry of (cfg[kind] ?? []) as Named<object>[]) {
        if ((merged[kind] as Named<object>[]).some((e) => e.name === entry.name)) continue;
        (merged[kind] as Named<object>[]).push(entry);
        dirOf.set(entry, path.dirname(file));
      }
    }
  }
  const shown = files.join(path.delimiter);
  if (read === 0)
    throw new ConnectionError(
      `none of the kubeconfig files in $KUBECONFIG exists (${shown}); run \`gcloud container clusters get-credentials <cluster> --region <region> --dns-endpoint\` or pass --kubeconfig.`,
    );
  const contextName = opts.context ?? (merged["current-context"] || undefined);
  const context = merged.contexts.find((c) => c.name === contextName)?.context;
  if (!contextName || !context) {
    const known = merged.contexts.map((c) => c.name).join(", ") || "none";
    throw new ConnectionError(
      `the kubeconfig ${shown} has no context ${contextName ? `"${contextName}"` : "selected"} (contexts: ${known}); pass --context or run \`kubectl config use-context <name>\`.`,
    );
  }
  const clusterEntry = merged.clusters.find((c) => c.name === context.cluster);
  const userEntry = merged.users.find((u) => u.name === context.user);
  const cluster = clusterEntry?.cluster;
  const user = userEntry?.user ?? {};
  if (!cluster || typeof cluster.server !== "string")
    throw new ConnectionError(
      `the kubeconfig's cluster "${context.cluster}" has no server; fetch credentials again.`,
    );
  const bytes = (entry: unknown, data: unknown, fileRef: unknown): Buffer | undefined =>
    typeof data === "string"
      ? Buffer.from(data, "base64")
      : typeof fileRef === "string"
        ? fs.readFileSync(path.resolve(dirOf.get(entry) ?? ".", fileRef))
        : undefined;
  return {
    server: cluster.server.replace(/\/$/, ""),
    context: contextName,
    namespace: context.namespace,
    ca: bytes(clusterEntry, cluster["certificate-authority-data"], cluster["certificate-authority"]),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    cert: bytes(userEntry, user["client-certificate-data"], user["client-certificate"]),
    key: bytes(userEntry, user["client-key-data"], user["client-key"]),
    token:
      typeof user.token === "string"
        ? user.token
        : typeof user.tokenFile === "string"
          ? fs.readFileSync(path.resolve(dirOf.get(userEntry) ?? ".", user.tokenFile), "utf8").trim()
          : undefined,
    exec: user.exec ? resolvedExec(user.exec as ExecConfig, dirOf.get(userEntry) ?? ".") : undefined,
  };
}

/** A command given by a path (one with a separator) is relative to its kubeconfig, as client-go resolves it (clientcmd loader.go:607-613, v0.35.4); a bare name is looked up on PATH. */
function resolvedExec(exec: ExecConfig, dir: string): ExecConfig {
  return exec.command.includes("/") ? { ...exec, command: path.resolve(dir, exec.command) } : exec;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** For PATCH: application/merge-patch+json, application/json-patch+json or application/apply-patch+yaml. */
  readonly contentType?: string;
}

/** One connection to one API server, as one user. */
export class KubeApi {
  /** The exec plugin's credential, shared by concurrent requests (one plugin run, not one per request). */
  private execToken?: Promise<{ token: string; expires: number }>;
  private readonly agent: http.Agent;

  constructor(readonly target: KubeTarget) {
    const tls = target.server.startsWith("https:");
    this.agent = tls
      ? new https.Agent({
          keepAlive: true,
          ca: target.ca,
          cert: target.cert,
          key: target.key,
          rejectUnauthorized: !target.insecure,
        })
      : new http.Agent({ keepAlive: true });
  }

  get<T = any>(p: string, query?: RequestOptions["query"]): Promise<T> {
    return this.request("GET", p, { query });
  }

  async request<T = any>(method: string, p: string, opts: RequestOptions = {}): Promise<T> {
    let payload: string | undefined;
    const extra: Record<string, string> = {};
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      extra["Content-Type"] = opts.contentType ?? "application/json";
      extra["Content-Length"] = String(Buffer.byteLength(payload));
    }
    const res = await this.send(method, p, opts.query, extra, payload);
    const text = await bodyText(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw this.failure(status, text, method, p);
    try {
      return (text === "" ? {} : JSON.parse(text)) as T;
    } catch {
      throw new ConnectionError(
        `the Kubernetes API at ${this.target.server} answered ${method} ${p} with no JSON (${text.slice(0, 80)}); check that the kubeconfig points at an API server.`,
      );
    }
  }

  /**
   * A GET whose body keeps coming (a watch, `log?follow=true`): each chunk to `onData` as it
   * arrives. Resolves when the server ends the body or `signal` aborts; refusals throw as `request`.
   */
  async stream(
    p: string,
    query: RequestOptions["query"],
    onData: (chunk: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted) return;
    let res: http.IncomingMessage;
    try {
      res = await this.send("GET", p, query, {}, undefined, signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw this.failure(status, await bodyText(res), "GET", p);
    res.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        res.destroy();
        resolve();
      };
      signal?.addEventListener("abort", stop, { once: true });
      res.on("data", (c: string) => onData(c));
      res.on("end", resolve);
      res.on("close", resolve);
      res.on("error", (err) =>
        signal?.aborted
          ? resolve()
          : reject(
              new ConnectionError(
                `the stream from ${this.target.server} broke (${err.message}); run the command again.`,
              ),
            ),
      );
    });
  }

  /** Watch events ({type, object}) of a list path until the server ends the watch or `signal` aborts. */
  async watch<T = any>(
    p: string,
    query: RequestOptions["query"],
    onEvent: (e: { type: string; object: T }) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let rest = "";
    await this.stream(
      p,
      { ...query, watch: "true" },
      (chunk) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) onEvent(JSON.parse(line));
      },
      signal,
    );
  }

  private async send(
    method: string,
    p: string,
    query: RequestOptions["query"],
    extra: Record<string, string>,
    payload?: string,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.target.server + p);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": "rayctl", ...extra };
    const token = await this.bearer();
    if (token) headers.Authorization = `Bearer ${token}`;
    const lib = url.protocol === "https:" ? https : http;
    return await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: this.agent, signal }, resolve);
      req.on("error", (err) =>
        reject(
          new ConnectionError(
            `cannot reach the Kubernetes API at ${this.target.server} (${(err as NodeJS.ErrnoException).code ?? err.message}); check your network and the kubeconfig context "${this.target.context}".`,
          ),
        ),
      );
      req.end(payload);
    });
  }

  private failure(status: number, text: string, method: string, p: string): Error {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (status === 401)
      return new ConnectionError(
        `the API server refused your credentials (401); run \`gcloud auth login\` and fetch credentials again.`,
      );
    return new KubeError(
      status,
      body.reason ?? String(status),
      body.message ?? `${method} ${p} failed with ${status}`,
    );
  }

  /** Token from the kubeconfig, or from its exec plugin (kept until it expires). */
  private async bearer(): Promise<string | undefined> {
    if (this.target.token) return this.target.token;
    const exec = this.target.exec;
    if (!exec) return undefined;
    // Set before any await, so that concurrent requests share one run.
    this.execToken ??= runExecPlugin(exec);
    let cred = await this.execToken.catch((err) => {
      this.execToken = undefined;
      throw err;
    });
    if (cred.expires <= Date.now() + 10_000) {
      this.execToken = runExecPlugin(exec);
      cred = await this.execToken;
    }
    return cred.token;
  }

  close(): void {
    this.agent.destroy();
  }
}

async function runExecPlugin(exec: ExecConfig): Promise<{ token: string; expires: number }> {
  // As client-go runs credential plugins: the kubeconfig's env over ours, and KUBERNETES_EXEC_INFO.
  const env = {
    ...process.env,
    KUBERNETES_EXEC_INFO: JSON.stringify({
      apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1beta1",
      kind: "ExecCredential",
      spec: { interactive: false },
    }),
    ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])),
  };
  const out = await new Promise<string>((resolve, reject) =>
    execFile(exec.command, exec.args ?? [], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const hint = exec.command.includes("gke-gcloud-auth-plugin")
          ? "install it with `gcloud components install gke-gcloud-auth-plugin` and run `gcloud auth login`"
          : "check the kubeconfig's exec section";
        reject(
          new ConnectionError(
            `the credential plugin ${exec.command} failed (${(stderr || err.message).trim().split("\n")[0]}); ${hint}.`,
          ),
        );
      } else resolve(stdout);
    }),
  );
  let cred: { status?: { token?: string; expirationTimestamp?: string } };
  try {
    cred = JSON.parse(out);
  } catch {
    throw new ConnectionError(
      `the credential plugin ${exec.command} printed no ExecCredential JSON; run it by hand to see why.`,
    );
  }
  const token = cred.status?.token;
  if (!token)
    throw new ConnectionError(
      `the credential plugin ${exec.command} returned no token; run it by hand to see why.`,
    );
  return {
    token,
    expires: cred.status?.expirationTimestamp
      ? Date.parse(cred.status.expirationTimestamp)
      : Date.now() + 5 * 60_000,
  };
}

function bodyText(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
  });
}

/** REST paths of the kinds the client uses. */
export const paths = {
  rayClusters: (ns?: string) =>
    ns ? `/apis/ray.io/v1/namespaces/${ns}/rayclusters` : `/apis/ray.io/v1/rayclusters`,
  rayCluster: (ns: string, name: string) => `/apis/ray.io/v1/namespaces/${ns}/rayclusters/${name}`,
  rayJobs: (ns?: string) => (ns ? `/apis/ray.io/v1/namespaces/${ns}/rayjobs` : `/apis/ray.io/v1/rayjobs`),
  rayJob: (ns: string, name: string) => `/apis/ray.io/v1/namespaces/${ns}/rayjobs/${name}`,
  configMaps: (ns: string) => `/api/v1/namespaces/${ns}/configmaps`,
  configMap: (ns: string, name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`,
  services: (ns: string) => `/api/v1/namespaces/${ns}/services`,
  networkPolicies: (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
  secrets: (ns: string) => `/api/v1/namespaces/${ns}/secrets`,
  pods: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
  podLog: (ns: string, pod: string) => `/api/v1/namespaces/${ns}/pods/${pod}/log`,
  events: (ns: string) => `/api/v1/namespaces/${ns}/events`,
  resourceQuotas: (ns: string) => `/api/v1/namespaces/${ns}/resourcequotas`,
  workloads: (ns: string) => `/apis/kueue.x-k8s.io/v1beta2/namespaces/${ns}/workloads`,
  pendingWorkloads: (ns: string, localQueue: string) =>
    `/apis/visibility.kueue.x-k8s.io/v1beta2/namespaces/${ns}/localqueues/${localQueue}/pendingworkloads`,
};
