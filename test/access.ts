/**
 * What the rendered RBAC and NetworkPolicies allow, computed the way Kubernetes does, so tests
 * can ask "may this member do that" and "may this pod reach that port" of the real objects.
 */
import { type RegisteredResource, ofType } from "./mocks";
import { rulesAllow } from "./fakeKube";

type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};

/** A label selector matches labels (the empty selector matches everything). */
export function matches(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const ops: Record<string, () => boolean> = {
      In: () => has && e.values!.includes(labels[e.key]!),
      NotIn: () => !has || !e.values!.includes(labels[e.key]!),
      Exists: () => has,
      DoesNotExist: () => !has,
    };
    const ok = ops[e.operator]?.();
    if (ok === undefined) throw new Error(`unknown operator ${e.operator}`);
    if (!ok) return false;
  }
  return true;
}

export interface Pod {
  namespace: string;
  labels: Record<string, string>;
}

/** Whether `from` may open a TCP connection to `to` on `port` under the NetworkPolicies of `to`'s namespace. */
export function reachable(
  resources: readonly RegisteredResource[],
  from: Pod,
  to: Pod,
  port: number,
): boolean {
  const policies = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    .map((r) => r.inputs)
    .filter(
      (p) =>
        p.metadata.namespace === to.namespace &&
        (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress") &&
        matches(p.spec.podSelector, to.labels),
    );
  if (policies.length === 0) return true;
  const nsLabels = { "kubernetes.io/metadata.name": from.namespace };
  return policies.some((p) =>
    (p.spec.ingress ?? []).some((rule: any) => {
      const portOk = !rule.ports || rule.ports.some((q: any) => q.port === port);
      const peerOk =
        !rule.from ||
        rule.from.some((peer: any) =>
          peer.namespaceSelector
            ? matches(peer.namespaceSelector, nsLabels) && matches(peer.podSelector, from.labels)
            : from.namespace === to.namespace && matches(peer.podSelector, from.labels),
        );
      return portOk && peerOk;
    }),
  );
}

export interface Subject {
  kind: "User" | "Group";
  name: string;
}

/** Whether `who` may `verb` `resource` (group/resource, "" for core) in `namespace`, through RoleBindings to ClusterRoles. */
export function may(
  resources: readonly RegisteredResource[],
  who: Subject,
  verb: string,
  resource: string,
  namespace: string,
): boolean {
  const grouped = resource.includes("/") && !resource.startsWith("pods/");
  const [group = "", res = resource] = grouped ? resource.split("/", 2) : [];
  const roles = new Map(
    ofType(resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").map((r) => [
      r.inputs.metadata.name,
      r.inputs,
    ]),
  );
  const bindings = ofType(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    .map((r) => r.inputs)
    .filter(
      (b) =>
        b.metadata.namespace === namespace &&
        b.subjects.some((s: any) => s.kind === who.kind && s.name === who.name),
    );
  return bindings.some((b) =>
    rulesAllow(roles.get(b.roleRef.name)?.rules ?? [], { verb, apiGroup: group, resource: res }),
  );
}
