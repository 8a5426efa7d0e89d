/**
 * An in-process fake of the Kubernetes REST API on loopback, for the client's tests. It behaves
 * like the real API server for what rayctl (and kubectl, used as an oracle) do:
 *
 * - paths /api/v1/... and /apis/<group>/<version>/..., namespaced and all-namespace lists,
 *   discovery documents; Status objects with the real reasons and codes (404 NotFound,
 *   409 AlreadyExists/Conflict, 422 Invalid, 403 Forbidden, 400 BadRequest);
 * - create, get, list (labelSelector, fieldSelector on metadata.name/namespace), update with
 *   resourceVersion conflicts, delete with uid preconditions, watch (from a resourceVersion);
 * - merge, JSON (with `test`) and apply patches; the status subresource of RayClusters (writes
 *   to the main resource leave status alone); dryRun=All validates and stores nothing;
 * - objects checked against Kubernetes' schemas and the pinned KubeRay CRDs (test/schemas.ts),
 *   refused with 422 as the API server would;
 * - RBAC: with `authorize`, every request is checked against Roles/ClusterRoles and bindings
 *   (rendered by the program) for the user its bearer token names; every call is recorded;
 * - ownerReferences: deleting an owner deletes what it owns (the garbage collector, at once);
 * - KubeRay: `kuberay: "auto"` simulates the operator on create (head pod, scale-up and image
 *   events, then HeadPodReady, head IP, ready workers); "stuck" leaves a FailedScheduling event.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { type AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { load as loadYaml } from "js-yaml";
import { ManifestValidator } from "./schemas";

type Obj = Record<string, any>;

export interface ApiCall {
  readonly user: string;
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

interface ResourceType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  status?: boolean;
}

const TYPES: ResourceType[] = [
  { group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false },
  { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  { group: "", version: "v1", resource: "services", kind: "Service", namespaced: true },
  { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true, status: true },
  { group: "", version: "v1", resource: "events", kind: "Event", namespaced: true },
  {
    group: "",
    version: "v1",
    resource: "resourcequotas",
    kind: "ResourceQuota",
    namespaced: true,
    status: true,
  },
  { group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  {
    group: "networking.k8s.io",
    version: "v1",
    resource: "networkpolicies",
    kind: "NetworkPolicy",
    namespaced: true,
  },
  { group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", kind: "Role", namespaced: true },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "rolebindings",
    kind: "RoleBinding",
    namespaced: true,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterroles",
    kind: "ClusterRole",
    namespaced: false,
  },
  {
    group: "ray.io",
    version: "v1",
    resource: "rayclusters",
    kind: "RayCluster",
    namespaced: true,
    status: true,
  },
  { group: "ray.io", version: "v1", resource: "rayjobs", kind: "RayJob", namespaced: true, status: true },
  {
    group: "kueue.x-k8s.io",
    version: "v1beta2",
    resource: "localqueues",
    kind: "LocalQueue",
    namespaced: true,
    status: true,
  },
  {
    group: "kueue.x-k8s.io",
    version: "v1beta2",
    resource: "workloads",
    kind: "Workload",
    namespaced: true,
    status: true,
  },
  // Kueue's visibility API serves only the subresource pendingworkloads (pkg/visibility/storage/storage.go:28-30, v0.19.2).
  {
    group: "visibility.kueue.x-k8s.io",
    version: "v1beta2",
    resource: "localqueues",
    kind: "PendingWorkloadsSummary",
    namespaced: true,
  },
];

const typeOfKind = (apiVersion: string, kind: string) =>
  TYPES.find((t) => (t.group ? `${t.group}/${t.version}` : t.version) === apiVersion && t.kind === kind);
const apiVersionOf = (t: ResourceType) => (t.group ? `${t.group}/${t.version}` : t.version);
const clone = <T>(o: T): T => structuredClone(o);

/** A Status object as the API server sends it. */
function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    details,
    code,
  };
}

class HttpError extends Error {
  constructor(readonly body: Obj) {
    super(body.message);
  }
}

const fail = (code: number, reason: string, message: string, details?: Obj) =>
  new HttpError(status(code, reason, message, details));

export interface FakeOptions {
  /** CRDs to validate custom resources against (the pinned KubeRay CRDs). */
  readonly crds: readonly Obj[];
  /** Who may do what; undefined: everyone may do everything (as cluster-admin). */
  readonly authorize?: boolean;
  /** Bearer token -> user name. */
  readonly tokens?: Readonly<Record<string, string>>;
  /** Users RBAC does not restrict (system:masters). */
  readonly admins?: readonly string[];
  readonly kuberay?: "auto" | "stuck" | "off";
}

export class FakeKube {
  private readonly store = new Map<string, Obj>();
  private rv = 100;
  private readonly log: { rv: number; type: string; key: string; obj: Obj }[] = [];
  private readonly watchers = new Set<(e: { type: string; key: string; obj: Obj }) => void>();
  private readonly validator: ManifestValidator;
  private server?: http.Server;
  readonly calls: ApiCall[] = [];
  /** Log lines by ns/pod/container, and who follows them. */
  private readonly logLines = new Map<string, string[]>();
  private readonly logFollowers = new Map<string, Set<(text: string) => void>>();
  private nodeCount = 0;
  kuberay: "auto" | "stuck" | "off";

  constructor(private readonly opts: FakeOptions) {
    this.validator = new ManifestValidator(opts.crds);
    this.kuberay = opts.kuberay ?? "auto";
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private key(t: ResourceType, ns: string | undefined, name: string): string {
    return `${t.group}/${t.resource}/${ns ?? ""}/${name}`;
  }

  /** Put an object in as if applied by an administrator (seeding). */
  seed(obj: Obj): void {
    const t = typeOfKind(obj.apiVersion, obj.kind);
    if (!t) throw new Error(`fake: no type for ${obj.apiVersion} ${obj.kind}`);
    this.write(
      t,
      {
        ...clone(obj),
        metadata: {
          ...obj.metadata,
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString(),
          generation: 1,
        },
      },
      "ADDED",
    );
  }

  /** Take an object out as if deleted by an administrator (undoing a seed). */
  unseed(apiVersion: string, kind: string, ns: string | undefined, name: string): void {
    const t = typeOfKind(apiVersion, kind)!;
    const cur = this.store.get(this.key(t, ns, name));
    if (!cur) throw new Error(`fake: no ${kind} ${ns}/${name}`);
    this.write(t, cur, "DELETED");
  }

  get(apiVersion: string, kind: string, ns: string | undefined, name: string): Obj | undefined {
    const t = typeOfKind(apiVersion, kind)!;
    const o = this.store.get(this.key(t, ns, name));
    return o && clone(o);
  }

  list(apiVersion: string, kind: string, ns?: string): Obj[] {
    const t = typeOfKind(apiVersion, kind)!;
    return [...this.store.entries()]
      .filter(([k]) => k.startsWith(`${t.group}/${t.resource}/${ns ?? ""}`))
      .map(([, o]) => clone(o));
  }

  /** Change an object's status as its controller would (KubeRay, the quota controller). */
  setStatus(apiVersion: string, kind: string, ns: string, name: string, st: Obj): void {
    const t = typeOfKind(apiVersion, kind)!;
    const cur = this.store.get(this.key(t, ns, name));
    if (!cur) throw new Error(`fake: no ${kind} ${ns}/${name}`);
    this.write(t, { ...cur, status: st }, "MODIFIED");
  }

  event(
    ns: string,
    involved: { kind: string; name: string },
    reason: string,
    message: string,
    type = "Normal",
  ): void {
    const t = TYPES.find((x) => x.resource === "events")!;
    const name = `${involved.name}.${(this.rv + 1).toString(16)}`;
    this.write(
      t,
      {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace: ns, uid: randomUUID(), creationTimestamp: new Date().toISOString() },
        involvedObject: { ...involved, namespace: ns },
        reason,
        message,
        type,
        lastTimestamp: new Date(Date.now() + this.rv).toISOString(),
      },
      "ADDED",
    );
  }

  private write(t: ResourceType, obj: Obj, type: string): Obj {
    const key = this.key(t, obj.metadata.namespace, obj.metadata.name);
    this.rv += 1;
    const stored = {
      ...obj,
      apiVersion: apiVersionOf(t),
      kind: t.kind,
      metadata: { ...obj.metadata, resourceVersion: String(this.rv) },
    };
    if (type === "DELETED") this.store.delete(key);
    else this.store.set(key, stored);
    this.log.push({ rv: this.rv, type, key, obj: clone(stored) });
    for (const w of this.watchers) w({ type, key, obj: clone(stored) });
    return clone(stored);
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const send = (code: number, body: Obj) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      const discovery = this.discovery(url.pathname);
      if (discovery) return send(200, discovery);
      const route = this.route(url.pathname);
      const user = this.user(req);
      const verb = this.verb(req.method ?? "GET", route, url);
      const call: ApiCall = {
        user,
        verb,
        apiGroup: route.type.group,
        resource: route.type.resource,
        subresource: route.sub,
        namespace: route.ns,
        name: route.name,
      };
      this.calls.push(call);
      if (this.opts.authorize && !this.allowed(call)) {
        throw fail(
          403,
          "Forbidden",
          `${route.type.resource}${route.sub ? `/${route.sub}` : ""}${route.name ? ` "${route.name}"` : ""} is forbidden: User "${user}" cannot ${verb} resource "${route.type.resource}${route.sub ? `/${route.sub}` : ""}" in API group "${route.type.group}"${route.ns ? ` in the namespace "${route.ns}"` : " at the cluster scope"}`,
          { name: route.name, group: route.type.group, kind: route.type.resource },
        );
      }
      const dryRun = url.searchParams.get("dryRun") === "All";
      const body =
        text === ""
          ? undefined
          : req.headers["content-type"]?.includes("yaml")
            ? (loadYaml(text) as Obj)
            : JSON.parse(text);
      if (verb === "watch") return this.watch(route, url, res);
      switch (verb) {
        case "get":
          if (route.sub === "log") return this.podLog(route, url, res);
          return send(
            200,
            route.sub === "pendingworkloads"
              ? this.pendingWorkloads(route.ns!, route.name!)
              : this.getOne(route),
          );
        case "list":
          return send(200, this.listOf(route, url));
        case "create":
          return send(201, this.create(route, body, dryRun));
        case "update":
          return send(200, this.update(route, body, dryRun));
        case "patch":
          return send(200, this.patch(route, body, String(req.headers["content-type"]), dryRun));
        case "delete":
          return send(200, this.remove(route, body, dryRun));
      }
      throw fail(405, "MethodNotAllowed", `${req.method} is not supported`);
    } catch (err) {
      if (err instanceof HttpError) return send(err.body.code, err.body);
      send(500, status(500, "InternalError", (err as Error).message));
    }
  }

  private discovery(p: string): Obj | undefined {
    if (p === "/version")
      return { major: "1", minor: "32", gitVersion: "v1.32.0-fake", platform: "linux/amd64" };
    if (p === "/api") return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
    if (p === "/apis") {
      const groups = [...new Set(TYPES.filter((t) => t.group).map((t) => t.group))];
      const version = (g: string) => TYPES.find((t) => t.group === g)!.version;
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: groups.map((g) => ({
          name: g,
          versions: [{ groupVersion: `${g}/${version(g)}`, version: version(g) }],
          preferredVersion: { groupVersion: `${g}/${version(g)}`, version: version(g) },
        })),
      };
    }
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/(v1|v1beta2))$/.exec(p);
    if (!m) return undefined;
    const [, group = "", version = "v1"] = m;
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : "v1",
      resources: TYPES.filter((t) => t.group === group && t.version === version).flatMap((t) =>
        t.kind === "PendingWorkloadsSummary"
          ? [
              {
                name: `${t.resource}/pendingworkloads`,
                singularName: "",
                namespaced: true,
                kind: t.kind,
                verbs: ["get"],
              },
            ]
          : [
              {
                name: t.resource,
                singularName: t.kind.toLowerCase(),
                namespaced: t.namespaced,
                kind: t.kind,
                verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
              },
              ...(t.status
                ? [
                    {
                      name: `${t.resource}/status`,
                      singularName: "",
                      namespaced: t.namespaced,
                      kind: t.kind,
                      verbs: ["get", "patch", "update"],
                    },
                  ]
                : []),
            ],
      ),
    };
  }

  private route(p: string): { type: ResourceType; ns?: string; name?: string; sub?: string } {
    const m =
      /^\/(?:api\/v1|apis\/([^/]+)\/(v1|v1beta2))(?:\/namespaces\/([^/]+)(?=\/))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
        p,
      );
    if (!m) throw fail(404, "NotFound", `the server could not find the requested resource (${p})`);
    const [, group = "", version = "v1", ns, resource, name, sub] = m;
    // /api/v1/namespaces/NAME is the namespace itself.
    const type = TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
    if (!type) throw fail(404, "NotFound", `the server could not find the requested resource (${p})`);
    const visibility = type.kind === "PendingWorkloadsSummary";
    if (visibility !== (sub === "pendingworkloads" && !!name))
      throw fail(404, "NotFound", `the server could not find the requested resource (${p})`);
    if (
      sub &&
      !visibility &&
      !(sub === "status" && type.status) &&
      !(sub === "log" && type.kind === "Pod" && !!name)
    )
      throw fail(404, "NotFound", `the server could not find the requested resource (${p})`);
    return { type, ns, name, sub };
  }

  private user(req: http.IncomingMessage): string {
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    if (!this.opts.authorize) return this.opts.tokens?.[token] ?? "admin";
    const user = this.opts.tokens?.[token];
    if (!user) throw fail(401, "Unauthorized", "Unauthorized");
    return user;
  }

  private verb(method: string, route: { name?: string }, url: URL): string {
    if (method === "GET")
      return url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1"
        ? "watch"
        : route.name
          ? "get"
          : "list";
    return (
      (
        {
          POST: "create",
          PUT: "update",
          PATCH: "patch",
          DELETE: route.name ? "delete" : "deletecollection",
        } as Record<string, string>
      )[method] ?? method.toLowerCase()
    );
  }

  /** Kubernetes RBAC over the stored Roles, ClusterRoles and bindings: allow if any rule of any bound role matches. */
  private allowed(c: ApiCall): boolean {
    if (this.opts.admins?.includes(c.user)) return true;
    const bindings = [...this.store.values()].filter(
      (o) =>
        (o.kind === "RoleBinding" && o.metadata.namespace === c.namespace) || o.kind === "ClusterRoleBinding",
    );
    for (const b of bindings) {
      if (!(b.subjects ?? []).some((s: Obj) => s.kind === "User" && s.name === c.user)) continue;
      const role =
        b.roleRef.kind === "ClusterRole"
          ? this.store.get(`rbac.authorization.k8s.io/clusterroles//${b.roleRef.name}`)
          : this.store.get(`rbac.authorization.k8s.io/roles/${b.metadata.namespace}/${b.roleRef.name}`);
      if (role && rulesAllow(role.rules ?? [], c)) return true;
    }
    return false;
  }

  /**
   * Kueue's answer (pkg/visibility/storage/pending_workloads_lq.go:65-98, v0.19.2): 404 for an
   * unknown LocalQueue; its Workloads without quota, highest priority first, then oldest, with
   * 0-based positions.
   */
  private pendingWorkloads(ns: string, lq: string): Obj {
    const lqType = TYPES.find((t) => t.kind === "LocalQueue")!;
    if (!this.store.get(this.key(lqType, ns, lq)))
      throw fail(404, "NotFound", `localqueue.visibility.kueue.x-k8s.io "${lq}" not found`, {
        name: lq,
        group: "visibility.kueue.x-k8s.io",
        kind: "localqueue",
      });
    const wlType = TYPES.find((t) => t.kind === "Workload")!;
    const pending = this.list(apiVersionOf(wlType), "Workload", ns)
      .filter(
        (w) =>
          w.spec?.queueName === lq &&
          !(w.status?.conditions ?? []).some(
            (c: Obj) => (c.type === "QuotaReserved" || c.type === "Admitted") && c.status === "True",
          ),
      )
      .sort(
        (a, b) =>
          (b.spec.priority ?? 0) - (a.spec.priority ?? 0) ||
          (a.metadata.creationTimestamp < b.metadata.creationTimestamp
            ? -1
            : a.metadata.creationTimestamp > b.metadata.creationTimestamp
              ? 1
              : 0),
      );
    return {
      kind: "PendingWorkloadsSummary",
      apiVersion: "visibility.kueue.x-k8s.io/v1beta2",
      metadata: { creationTimestamp: null },
      items: pending.map((w, i) => ({
        metadata: {
          name: w.metadata.name,
          namespace: ns,
          creationTimestamp: w.metadata.creationTimestamp,
          ownerReferences: w.metadata.ownerReferences,
        },
        priority: w.spec.priority ?? 0,
        localQueueName: lq,
        positionInClusterQueue: i,
        positionInLocalQueue: i,
      })),
    };
  }

  private getOne(r: { type: ResourceType; ns?: string; name?: string }): Obj {
    const o = this.store.get(this.key(r.type, r.ns, r.name!));
    if (!o)
      throw fail(
        404,
        "NotFound",
        `${r.type.resource}${r.type.group ? `.${r.type.group}` : ""} "${r.name}" not found`,
        { name: r.name, group: r.type.group, kind: r.type.resource },
      );
    return clone(o);
  }

  private matching(r: { type: ResourceType; ns?: string }, url: URL): Obj[] {
    // Only equality selectors are implemented; anything else is a 400 here, never a silent mismatch.
    const pairs = (param: string, allowed?: readonly string[]) =>
      (url.searchParams.get(param) ?? "")
        .split(",")
        .filter(Boolean)
        .map((s): [string, string] => {
          const [, key, value] = /^([^=!\s(),]+)==?([^=!\s(),]*)$/.exec(s) ?? [];
          if (key === undefined || value === undefined)
            throw fail(
              400,
              "BadRequest",
              `fake: ${param} "${s}" is not an equality selector this fake supports`,
            );
          if (allowed && !allowed.includes(key))
            throw fail(400, "BadRequest", `field label not supported: ${key}`);
          return [key, value];
        });
    const labels = pairs("labelSelector");
    const fields = pairs("fieldSelector", ["metadata.name", "metadata.namespace"]);
    const prefix = `${r.type.group}/${r.type.resource}/${r.ns ?? ""}`;
    return [...this.store.entries()]
      .filter(([k]) => (r.ns ? k.startsWith(`${prefix}/`) : k.startsWith(prefix)))
      .map(([, o]) => o)
      .filter((o) => labels.every(([k, v]) => o.metadata.labels?.[k] === v))
      .filter((o) =>
        fields.every(([k, v]) =>
          k === "metadata.name" ? o.metadata.name === v : o.metadata.namespace === v,
        ),
      );
  }

  private listOf(r: { type: ResourceType; ns?: string }, url: URL): Obj {
    return {
      apiVersion: apiVersionOf(r.type),
      kind: `${r.type.kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      items: this.matching(r, url).map(clone),
    };
  }

  private watch(r: { type: ResourceType; ns?: string }, url: URL, res: http.ServerResponse): void {
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    const from = Number(url.searchParams.get("resourceVersion") ?? this.rv);
    const prefix = `${r.type.group}/${r.type.resource}/${r.ns ?? ""}`;
    const names = (url.searchParams.get("fieldSelector") ?? "").match(/metadata\.name=([^,]+)/)?.[1];
    const wanted = (e: { key: string; obj: Obj }) =>
      e.key.startsWith(prefix) && (!names || e.obj.metadata.name === names);
    const sendEvent = (e: { type: string; key: string; obj: Obj }) =>
      wanted(e) && res.write(`${JSON.stringify({ type: e.type, object: e.obj })}\n`);
    for (const e of this.log.filter((x) => x.rv > from)) sendEvent(e);
    this.watchers.add(sendEvent);
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? 0);
    const end = () => {
      this.watchers.delete(sendEvent);
      res.end();
    };
    res.on("close", () => this.watchers.delete(sendEvent));
    if (timeout > 0) setTimeout(end, timeout * 1000).unref();
  }

  private check(
    r: { type: ResourceType; ns?: string; name?: string },
    body: Obj | undefined,
    creating: boolean,
  ): Obj {
    if (!body || typeof body !== "object") throw fail(400, "BadRequest", "the request body is not an object");
    const t = typeOfKind(body.apiVersion, body.kind);
    if (t !== r.type)
      throw fail(
        400,
        "BadRequest",
        `the API version in the data (${body.apiVersion}) and kind (${body.kind}) do not match ${apiVersionOf(r.type)} ${r.type.resource}`,
      );
    if (body.metadata?.namespace !== undefined && body.metadata.namespace !== r.ns) {
      throw fail(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    const name = body.metadata?.name;
    if (!name)
      throw fail(
        422,
        "Invalid",
        `${r.type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (!creating && name !== r.name)
      throw fail(
        400,
        "BadRequest",
        `the name of the object (${name}) does not match the name on the URL (${r.name})`,
      );
    const problems = this.validator.problems({ ...body, metadata: { ...body.metadata, namespace: r.ns } });
    if (problems.length > 0) {
      throw fail(
        422,
        "Invalid",
        `${r.type.kind}.${r.type.group || "core"} "${name}" is invalid: ${problems.join("; ")}`,
        { name, group: r.type.group, kind: r.type.kind, causes: problems.map(cause) },
      );
    }
    return body;
  }

  private create(
    r: { type: ResourceType; ns?: string; sub?: string },
    body: Obj | undefined,
    dryRun: boolean,
  ): Obj {
    const obj = this.check(r, body, true);
    const key = this.key(r.type, r.ns, obj.metadata.name);
    if (this.store.has(key)) {
      throw fail(
        409,
        "AlreadyExists",
        `${r.type.resource}${r.type.group ? `.${r.type.group}` : ""} "${obj.metadata.name}" already exists`,
        { name: obj.metadata.name, group: r.type.group, kind: r.type.resource },
      );
    }
    const meta = {
      ...obj.metadata,
      namespace: r.ns,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      generation: 1,
    };
    // A new object has no status: the controller writes it through the subresource.
    const fresh: Obj = { ...obj, metadata: meta };
    // Secrets: the API server stores stringData as base64 data and never returns stringData.
    if (r.type.kind === "Secret" && fresh.stringData) {
      fresh.data = {
        ...fresh.data,
        ...Object.fromEntries(
          Object.entries(fresh.stringData as Record<string, string>).map(([k, v]) => [
            k,
            Buffer.from(v).toString("base64"),
          ]),
        ),
      };
      delete fresh.stringData;
    }
    if (r.type.status) delete fresh.status;
    if (dryRun) return { ...fresh, apiVersion: apiVersionOf(r.type), kind: r.type.kind };
    const stored = this.write(r.type, fresh, "ADDED");
    if (r.type.kind === "RayCluster" && this.kuberay !== "off")
      setImmediate(() => this.simulateKubeRay(r.ns!, meta.name));
    if (r.type.kind === "RayJob" && this.kuberay !== "off")
      setImmediate(() => this.simulateRayJob(r.ns!, meta.name));
    return stored;
  }

  private update(
    r: { type: ResourceType; ns?: string; name?: string; sub?: string },
    body: Obj | undefined,
    dryRun: boolean,
  ): Obj {
    const cur = this.getOne(r);
    const obj = this.check(r, body, false);
    if (
      obj.metadata.resourceVersion !== undefined &&
      obj.metadata.resourceVersion !== cur.metadata.resourceVersion
    ) {
      throw fail(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${r.type.resource}${r.type.group ? `.${r.type.group}` : ""} "${r.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return this.replace(r, cur, obj, dryRun);
  }

  /** Store `next` over `cur`, keeping what the main resource or the status subresource may not change. */
  private replace(r: { type: ResourceType; sub?: string }, cur: Obj, next: Obj, dryRun: boolean): Obj {
    const merged: Obj =
      r.sub === "status"
        ? { ...cur, status: next.status }
        : { ...next, ...(r.type.status ? { status: cur.status } : {}) };
    merged.metadata = {
      ...next.metadata,
      uid: cur.metadata.uid,
      creationTimestamp: cur.metadata.creationTimestamp,
      namespace: cur.metadata.namespace,
      name: cur.metadata.name,
    };
    if (r.sub === "status") merged.metadata = { ...cur.metadata };
    const specChanged = JSON.stringify(cur.spec) !== JSON.stringify(merged.spec);
    merged.metadata.generation = (cur.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    if (r.sub !== "status")
      this.check({ type: r.type, ns: cur.metadata.namespace, name: cur.metadata.name }, merged, false);
    if (dryRun) return merged;
    const written = this.write(r.type, merged, "MODIFIED");
    // KubeRay reconciles a changed spec a moment later: until then the status is the old one.
    if (r.type.kind === "RayCluster" && specChanged && this.kuberay === "auto")
      setImmediate(() => this.resyncKubeRay(cur.metadata.namespace, cur.metadata.name));
    if (r.type.kind === "RayJob" && specChanged && this.kuberay === "auto")
      setImmediate(() => this.checkJobDeadline(cur.metadata.namespace, cur.metadata.name));
    return written;
  }

  private patch(
    r: { type: ResourceType; ns?: string; name?: string; sub?: string },
    body: any,
    contentType: string,
    dryRun: boolean,
  ): Obj {
    let cur: Obj | undefined;
    try {
      cur = this.getOne(r);
    } catch (err) {
      // Server-side apply creates what does not exist.
      if (contentType.startsWith("application/apply-patch"))
        return this.create(r, { ...body, metadata: { ...body.metadata, name: r.name } }, dryRun);
      throw err;
    }
    let next: Obj;
    if (contentType.startsWith("application/json-patch+json")) next = jsonPatch(cur, body);
    else if (
      contentType.startsWith("application/merge-patch+json") ||
      contentType.startsWith("application/apply-patch")
    )
      next = mergePatch(cur, body);
    else
      throw fail(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    return this.replace(r, cur, next, dryRun);
  }

  private remove(
    r: { type: ResourceType; ns?: string; name?: string },
    body: Obj | undefined,
    dryRun: boolean,
  ): Obj {
    const cur = this.getOne(r);
    const uid = body?.preconditions?.uid;
    if (uid && uid !== cur.metadata.uid) {
      throw fail(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${r.type.resource} "${r.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    }
    if (dryRun) return cur;
    this.write(r.type, cur, "DELETED");
    // The garbage collector: what the deleted object owned goes too.
    for (const [key, o] of [...this.store.entries()]) {
      if ((o.metadata.ownerReferences ?? []).some((ref: Obj) => ref.uid === cur.metadata.uid)) {
        const t = TYPES.find((x) => key.startsWith(`${x.group}/${x.resource}/`))!;
        this.remove({ type: t, ns: o.metadata.namespace, name: o.metadata.name }, undefined, false);
      }
    }
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name: r.name, group: r.type.group, kind: r.type.resource, uid: cur.metadata.uid },
    };
  }

  /**
   * A Ray pod as KubeRay makes it from a group's template (the head's when `group` is undefined),
   * labelled as KubeRay labels them (ray-operator/controllers/ray/utils/constant.go:19-22, v1.7.0),
   * on a node of its pool, with one log line from `ray start`.
   */
  private rayPod(rc: Obj, podName: string, group: Obj | undefined, running: boolean): Obj {
    const { name, namespace: ns } = rc.metadata;
    const template = group ? group.template : rc.spec.headGroupSpec.template;
    const labels = {
      "ray.io/cluster": name,
      "ray.io/node-type": group ? "worker" : "head",
      "ray.io/group": group ? group.groupName : "headgroup",
      "ray.io/is-ray-node": "yes",
    };
    const pool = template.spec?.nodeSelector?.["ray-platform/pool"] ?? "default";
    this.nodeCount++;
    const containers: Obj[] = template.spec.containers;
    for (const c of containers)
      this.logLines.set(`${ns}/${podName}/${c.name}`, [`${c.name} of ${podName}: started`]);
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: podName,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        labels,
        ownerReferences: [{ apiVersion: "ray.io/v1", kind: "RayCluster", name, uid: rc.metadata.uid }],
      },
      spec: {
        ...clone(template.spec),
        ...(running ? { nodeName: `gke-ray-dev-${pool}-${String(this.nodeCount).padStart(4, "0")}` } : {}),
      },
      status: {
        phase: running ? "Running" : "Pending",
        ...(running
          ? {
              podIP: group ? `10.16.1.${this.nodeCount % 250}` : "10.16.0.12",
              conditions: [{ type: "Ready", status: "True" }],
            }
          : {}),
        containerStatuses: containers.map((c) => ({
          name: c.name,
          ready: running,
          restartCount: 0,
          state: running ? { running: {} } : { waiting: { reason: "ContainerCreating" } },
        })),
      },
    };
  }

  /** A line more in a container's log; followers get it at once. */
  appendLog(ns: string, pod: string, container: string, line: string): void {
    const key = `${ns}/${pod}/${container}`;
    this.logLines.set(key, [...(this.logLines.get(key) ?? []), line]);
    for (const f of this.logFollowers.get(key) ?? []) f(`${line}\n`);
  }

  /**
   * GET pods/NAME/log as the API server answers it (kubelet's logs, proxied): one container,
   * named unless the pod has only one (400 otherwise, as pkg/registry/core/pod/strategy.go
   * LogLocation); tailLines; follow=true keeps the body open until the pod goes or the fake stops.
   */
  private podLog(
    r: { type: ResourceType; ns?: string; name?: string },
    url: URL,
    res: http.ServerResponse,
  ): void {
    const pod = this.getOne(r);
    const names: string[] = pod.spec.containers.map((c: Obj) => c.name);
    const container = url.searchParams.get("container") ?? (names.length === 1 ? names[0] : undefined);
    if (!container)
      throw fail(
        400,
        "BadRequest",
        `a container name must be specified for pod ${r.name}, choose one of: [${names.join(" ")}]`,
      );
    if (!names.includes(container))
      throw fail(400, "BadRequest", `container ${container} is not valid for pod ${r.name}`);
    const key = `${r.ns}/${r.name}/${container}`;
    const tail = url.searchParams.get("tailLines");
    const lines = this.logLines.get(key) ?? [];
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write(
      lines
        .slice(tail === null ? 0 : Math.max(0, lines.length - Number(tail)))
        .map((l) => `${l}\n`)
        .join(""),
    );
    if (url.searchParams.get("follow") !== "true") return void res.end();
    const follow = (text: string) => res.write(text);
    const followers = this.logFollowers.get(key) ?? new Set();
    this.logFollowers.set(key, followers.add(follow));
    // The kubelet ends a followed log when the container ends: the pod goes, or finishes.
    const gone = (e: { type: string; key: string; obj: Obj }) => {
      if (e.key !== this.key(r.type, r.ns, r.name!)) return;
      if (e.type === "DELETED" || ["Succeeded", "Failed"].includes(e.obj.status?.phase)) end();
    };
    const end = () => {
      followers.delete(follow);
      this.watchers.delete(gone);
      res.end();
    };
    this.watchers.add(gone);
    res.on("close", end);
  }

  /**
   * What KubeRay does after a RayCluster is created, in order: a head pod; for GPU groups, a
   * scale-up of the GPU pool (cluster autoscaler events on the worker pods); image pulls; then
   * the status: HeadPodReady, head pod IP and service, desired and ready workers.
   */
  simulateKubeRay(ns: string, name: string): void {
    const rc = this.store.get(
      this.key(
        TYPES.find((t) => t.kind === "RayCluster")!,
        ns,
        name,
      ),
    );
    if (!rc) return;
    const groups: Obj[] = rc.spec.workerGroupSpecs ?? [];
    const desired = groups.reduce((n, g) => n + (g.replicas ?? g.minReplicas ?? 0), 0);
    const headPod = `${name}-head-${rc.metadata.uid.slice(0, 5)}`;
    const podType = TYPES.find((t) => t.kind === "Pod")!;
    this.write(podType, this.rayPod(rc, headPod, undefined, this.kuberay === "auto"), "ADDED");
    const gpuGroup = groups.find(
      (g) => g.template?.spec?.containers?.[0]?.resources?.limits?.["nvidia.com/gpu"],
    );
    const workerPod = `${name}-${gpuGroup?.groupName ?? groups[0]?.groupName ?? "worker"}-worker-x7k2p`;
    if (this.kuberay === "stuck") {
      this.event(
        ns,
        { kind: "Pod", name: workerPod },
        "FailedScheduling",
        "0/4 nodes are available: 4 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.",
        "Warning",
      );
      this.event(
        ns,
        { kind: "Pod", name: workerPod },
        "NotTriggerScaleUp",
        "pod didn't trigger scale-up: 1 max node group size reached",
        "Normal",
      );
      this.event(
        ns,
        { kind: "RayCluster", name },
        "FailedToCreateWorkerPod",
        `Failed to create worker Pod for the cluster ${ns}/${name}, pods "${name}-group1-worker-q9z8d" is forbidden: exceeded quota: gpu-t4, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=8, limited: requests.nvidia.com/gpu=8`,
        "Warning",
      );
      this.setStatus("ray.io/v1", "RayCluster", ns, name, {
        state: "",
        desiredWorkerReplicas: desired,
        readyWorkerReplicas: 0,
        head: { podName: headPod, serviceName: `${name}-head-svc` },
        conditions: [
          {
            type: "HeadPodReady",
            status: "False",
            reason: "HeadPodNotReady",
            message: "the head pod is pending",
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      });
      return;
    }
    if (gpuGroup)
      this.event(
        ns,
        { kind: "Pod", name: workerPod },
        "TriggeredScaleUp",
        "pod triggered scale-up: [{gke-ray-dev-t4-dc91f6-grp 0->1 (max: 16)}]",
      );
    this.event(
      ns,
      { kind: "Pod", name: headPod },
      "Pulling",
      `Pulling image "${rc.spec.headGroupSpec.template.spec.containers[0].image}"`,
    );
    // The workers, running and ready, labelled as KubeRay labels them (ray-operator/controllers/ray/utils/constant.go:19-22, v1.7.0).
    for (const g of groups) {
      for (let i = 0; i < (g.replicas ?? g.minReplicas ?? 0); i++) {
        this.write(podType, this.rayPod(rc, `${name}-${g.groupName}-worker-${i}`, g, true), "ADDED");
      }
    }
    this.setStatus("ray.io/v1", "RayCluster", ns, name, {
      state: "ready",
      observedGeneration: rc.metadata.generation,
      desiredWorkerReplicas: desired,
      readyWorkerReplicas: desired,
      availableWorkerReplicas: desired,
      head: {
        podIP: "10.16.0.12",
        podName: headPod,
        serviceIP: "10.20.0.40",
        serviceName: `${name}-head-svc`,
      },
      conditions: [
        {
          type: "HeadPodReady",
          status: "True",
          reason: "HeadPodRunningAndReady",
          message: "",
          lastTransitionTime: new Date().toISOString(),
        },
        {
          type: "RayClusterProvisioned",
          status: "True",
          reason: "AllPodRunningAndReadyFirstTime",
          message: "",
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    });
  }

  /**
   * What KubeRay does for a RayJob (ray-operator v1.7.0 controllers/ray/rayjob_controller.go), as
   * far as the client sees it: the job's RayCluster `<job>-xxxxx` from rayClusterSpec, owned by
   * the job and labelled with its labels (constructRayClusterForRayJob); the submitter Job's pod,
   * labelled batch.kubernetes.io/job-name=<job> by the Job controller, from submitterPodTemplate;
   * the status Running (jobStatus RUNNING) until `finishJob`.
   */
  simulateRayJob(ns: string, name: string): void {
    const jobType = TYPES.find((t) => t.kind === "RayJob")!;
    const rj = this.store.get(this.key(jobType, ns, name));
    if (!rj) return;
    const suffix = randomUUID().slice(0, 5);
    let clusterName: string = rj.spec.clusterSelector?.["ray.io/cluster"];
    if (rj.spec.rayClusterSpec) {
      clusterName = `${name}-${suffix}`;
      const labels = {
        ...rj.metadata.labels,
        "ray.io/originated-from-cr-name": name,
        "ray.io/originated-from-crd": "RayJob",
      };
      const ownerReferences = [
        {
          apiVersion: "ray.io/v1",
          kind: "RayJob",
          name,
          uid: rj.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ];
      this.write(
        TYPES.find((t) => t.kind === "RayCluster")!,
        {
          apiVersion: "ray.io/v1",
          kind: "RayCluster",
          metadata: {
            name: clusterName,
            namespace: ns,
            uid: randomUUID(),
            creationTimestamp: new Date().toISOString(),
            generation: 1,
            labels,
            ownerReferences,
          },
          spec: clone(rj.spec.rayClusterSpec),
        },
        "ADDED",
      );
      if (this.kuberay === "auto") this.simulateKubeRay(ns, clusterName);
    }
    const podName = `${name}-${randomUUID().slice(0, 5)}`;
    const template = rj.spec.submitterPodTemplate ?? {
      spec: { containers: [{ name: "ray-job-submitter", image: "rayproject/ray" }] },
    };
    const running = this.kuberay === "auto";
    this.write(
      TYPES.find((t) => t.kind === "Pod")!,
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: podName,
          namespace: ns,
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString(),
          labels: { ...template.metadata?.labels, "batch.kubernetes.io/job-name": name, "job-name": name },
        },
        spec: clone(template.spec),
        status: { phase: running ? "Running" : "Pending" },
      },
      "ADDED",
    );
    const containers: Obj[] = template.spec.containers;
    const [container] = containers;
    if (!container) throw new Error(`fake: RayJob ${ns}/${name} has a submitter template without containers`);
    const jobId = `${name}-${suffix}`;
    this.logLines.set(
      `${ns}/${podName}/${container.name}`,
      running
        ? [
            `Job '${jobId}' submitted successfully`,
            "------------------------------------------",
            `Job '${jobId}' is running.`,
          ]
        : [],
    );
    this.setStatus("ray.io/v1", "RayJob", ns, name, {
      jobDeploymentStatus: running ? "Running" : "Initializing",
      ...(running ? { jobStatus: "RUNNING", startTime: new Date().toISOString(), jobId } : {}),
      rayClusterName: clusterName,
      dashboardURL: `${clusterName}-head-svc.${ns}.svc.cluster.local:8265`,
    });
  }

  /** The job's driver ends: its last lines, Ray's verdict, the submitter pod done, KubeRay's status. */
  finishJob(
    ns: string,
    name: string,
    jobStatus: "SUCCEEDED" | "FAILED" | "STOPPED",
    lines: readonly string[] = [],
  ): void {
    const pod = [...this.store.values()].find(
      (o) =>
        o.kind === "Pod" &&
        o.metadata.namespace === ns &&
        o.metadata.labels?.["batch.kubernetes.io/job-name"] === name,
    );
    if (pod) {
      const jobId = this.store.get(
        this.key(
          TYPES.find((t) => t.kind === "RayJob")!,
          ns,
          name,
        ),
      )?.status?.jobId;
      for (const l of [
        ...lines,
        "------------------------------------------",
        `Job '${jobId}' ${jobStatus.toLowerCase()}`,
      ])
        this.appendLog(ns, pod.metadata.name, pod.spec.containers[0].name, l);
      this.write(
        TYPES.find((t) => t.kind === "Pod")!,
        { ...pod, status: { ...pod.status, phase: jobStatus === "SUCCEEDED" ? "Succeeded" : "Failed" } },
        "MODIFIED",
      );
    }
    const rj = this.store.get(
      this.key(
        TYPES.find((t) => t.kind === "RayJob")!,
        ns,
        name,
      ),
    )!;
    this.setStatus("ray.io/v1", "RayJob", ns, name, {
      ...rj.status,
      jobStatus,
      jobDeploymentStatus: jobStatus === "SUCCEEDED" ? "Complete" : "Failed",
      endTime: new Date().toISOString(),
      ...(jobStatus === "SUCCEEDED"
        ? {}
        : { message: `Job ${jobStatus.toLowerCase()}`, reason: "AppFailed" }),
    });
  }

  /** KubeRay's activeDeadlineSeconds: past it, the job fails with DeadlineExceeded and its cluster goes. */
  private checkJobDeadline(ns: string, name: string): void {
    const rj = this.store.get(
      this.key(
        TYPES.find((t) => t.kind === "RayJob")!,
        ns,
        name,
      ),
    );
    const deadline = rj?.spec.activeDeadlineSeconds;
    if (!rj?.status?.startTime || !deadline || rj.status.endTime) return;
    // KubeRay requeues the job for the moment its deadline passes.
    const left = Date.parse(rj.status.startTime) + deadline * 1000 - Date.now();
    if (left > 0) return void setTimeout(() => this.checkJobDeadline(ns, name), left).unref();
    this.setStatus("ray.io/v1", "RayJob", ns, name, {
      ...rj.status,
      jobDeploymentStatus: "Failed",
      reason: "DeadlineExceeded",
      message: `The RayJob has passed the activeDeadlineSeconds. StartTime: ${rj.status.startTime}. ActiveDeadlineSeconds: ${deadline}`,
      endTime: new Date().toISOString(),
    });
    if (rj.spec.rayClusterSpec && rj.status.rayClusterName)
      this.remove(
        { type: TYPES.find((t) => t.kind === "RayCluster")!, ns, name: rj.status.rayClusterName },
        undefined,
        false,
      );
  }

  /**
   * KubeRay after a spec change: each group's worker pods made or removed to its desired count
   * (replicas kept within min and max, utils/util.go GetWorkerGroupDesiredReplicas), then the
   * status, with observedGeneration set to the generation it reconciled.
   */
  resyncKubeRay(ns: string, name: string): void {
    const rc = this.store.get(
      this.key(
        TYPES.find((t) => t.kind === "RayCluster")!,
        ns,
        name,
      ),
    );
    if (!rc) return;
    const podType = TYPES.find((t) => t.kind === "Pod")!;
    let desired = 0;
    for (const g of (rc.spec.workerGroupSpecs ?? []) as Obj[]) {
      const want = Math.min(
        Math.max(g.replicas ?? 0, g.minReplicas ?? 0),
        g.maxReplicas ?? Number.MAX_SAFE_INTEGER,
      );
      desired += want;
      const pods = [...this.store.values()].filter(
        (o) =>
          o.kind === "Pod" &&
          o.metadata.namespace === ns &&
          o.metadata.labels?.["ray.io/cluster"] === name &&
          o.metadata.labels?.["ray.io/group"] === g.groupName,
      );
      for (const extra of pods.slice(want)) this.write(podType, extra, "DELETED");
      for (let i = pods.length; i < want; i++) {
        this.write(
          podType,
          this.rayPod(rc, `${name}-${g.groupName}-worker-${randomUUID().slice(0, 5)}`, g, true),
          "ADDED",
        );
      }
    }
    this.setStatus("ray.io/v1", "RayCluster", ns, name, {
      ...rc.status,
      observedGeneration: rc.metadata.generation,
      desiredWorkerReplicas: desired,
      readyWorkerReplicas: desired,
      availableWorkerReplicas: desired,
    });
  }
}

/** "/spec/workerGroupSpecs/0/maxReplicas must be integer" as a StatusCause with the field path the API server uses. */
function cause(problem: string): Obj {
  const [, pointer, message] = /^(\/\S*) (.*)$/.exec(problem) ?? [];
  if (pointer === undefined || message === undefined)
    return { reason: "FieldValueInvalid", message: problem };
  const field = pointer
    .split("/")
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join("")
    .replace(/^\./, "");
  return { reason: "FieldValueInvalid", field, message };
}

/** Does any rule allow the call? (k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go) */
export function rulesAllow(
  rules: readonly Obj[],
  c: Pick<ApiCall, "verb" | "apiGroup" | "resource" | "subresource" | "name">,
): boolean {
  const resource = c.subresource ? `${c.resource}/${c.subresource}` : c.resource;
  const has = (list: readonly string[] | undefined, v: string) =>
    (list ?? []).includes("*") || (list ?? []).includes(v);
  return rules.some(
    (r) =>
      has(r.verbs, c.verb) &&
      has(r.apiGroups, c.apiGroup) &&
      has(r.resources, resource) &&
      (!r.resourceNames ||
        r.resourceNames.length === 0 ||
        (c.name !== undefined && r.resourceNames.includes(c.name))),
  );
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return clone(patch);
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902; a failed `test` is refused like the API server does (422). */
function jsonPatch(doc: Obj, ops: any[]): Obj {
  if (!Array.isArray(ops))
    throw fail(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  const out = clone(doc);
  const walk = (path: string) => {
    const parts = path
      .split("/")
      .slice(1)
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = parts.pop()!;
    let node: any = out;
    for (const p of parts) {
      node = Array.isArray(node) ? node[Number(p)] : node?.[p];
      if (node === undefined)
        throw fail(
          422,
          "Invalid",
          `the server rejected our request due to an error in our request: doc is missing path: "${path}"`,
        );
    }
    return { node, last };
  };
  for (const op of ops) {
    const { node, last } = walk(op.path);
    const idx = Array.isArray(node) ? (last === "-" ? node.length : Number(last)) : last;
    switch (op.op) {
      case "test":
        if (JSON.stringify(node[idx]) !== JSON.stringify(op.value))
          throw fail(
            422,
            "Invalid",
            `the server rejected our request due to an error in our request: testing value ${op.path} failed: test failed`,
          );
        break;
      case "add":
        if (Array.isArray(node)) node.splice(idx as number, 0, op.value);
        else node[idx] = op.value;
        break;
      case "replace":
        if (node[idx] === undefined)
          throw fail(
            422,
            "Invalid",
            `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${op.path}`,
          );
        node[idx] = op.value;
        break;
      case "remove":
        if (Array.isArray(node)) node.splice(idx as number, 1);
        else delete node[idx];
        break;
      default:
        throw fail(422, "Invalid", `unsupported JSON patch operation ${op.op}`);
    }
  }
  return out;
}

/** Write a kubeconfig with a context per user (tokens the fake maps to users). */
export function writeKubeconfig(server: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rayctl-")), "config");
  const users = { alice: "alice-token", bob: "bob-token", admin: "admin-token" };
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "alice",
      clusters: [{ name: "fake", cluster: { server } }],
      users: Object.entries(users).map(([name, token]) => ({ name, user: { token } })),
      contexts: Object.keys(users).map((name) => ({ name, context: { cluster: "fake", user: name } })),
    }),
  );
  return file;
}

/** A fake holding the program's objects (`manifests`), users alice, bob and admin (all-powerful). */
export async function seededFake(
  manifests: readonly Obj[],
  opts: { kuberay?: "auto" | "stuck" | "off" } = {},
): Promise<{ fake: FakeKube; server: string }> {
  const f = new FakeKube({
    crds: manifests.filter((m) => m.kind === "CustomResourceDefinition"),
    authorize: true,
    tokens: { "alice-token": "alice@example.com", "bob-token": "bob@example.com", "admin-token": "admin" },
    admins: ["admin"],
    kuberay: opts.kuberay,
  });
  const kinds = [
    "Namespace",
    "ConfigMap",
    "ResourceQuota",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ServiceAccount",
    "RayCluster",
    "LocalQueue",
  ];
  for (const m of manifests.filter((x) => kinds.includes(x.kind))) {
    // The quota controller's status: hard as specified, nothing used yet.
    f.seed(m.kind === "ResourceQuota" ? { ...m, status: { hard: m.spec.hard, used: {} } } : m);
  }
  return { fake: f, server: await f.start() };
}
