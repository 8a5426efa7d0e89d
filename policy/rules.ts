/**
 * The platform's rules, each implemented once over a list of resources ({ type, name, props }).
 * Two thin adapters run them: plan/policies.ts over the offline plan, and index.ts as a
 * Pulumi policy pack for real previews (`pulumi preview --policy-pack policy`).
 * Self-contained on purpose: a policy pack is published as this directory alone.
 */

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  readonly props: Record<string, any>;
}

export interface Violation {
  readonly resource?: PolicyResource;
  readonly message: string;
}

export interface Rule {
  readonly name: string;
  readonly description: string;
  readonly check: (resources: readonly PolicyResource[]) => Violation[];
}

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  quota: "kubernetes:core/v1:ResourceQuota",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  service: "kubernetes:core/v1:Service",
  rayCluster: "kubernetes:ray.io/v1:RayCluster",
  localQueue: "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue",
  cluster: "gcp:container/cluster:Cluster",
  nodePool: "gcp:container/nodePool:NodePool",
};
const TEAM_LABEL = "ray-platform/team";
const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

const ofType = (rs: readonly PolicyResource[], type: string) => rs.filter((r) => r.type === type);
const isEmpty = (o: unknown) => !o || Object.keys(o as object).length === 0;

/** A violation for every team namespace holding no object of `type` that satisfies `ok`. */
function everyTeamNamespaceHas(rs: readonly PolicyResource[], type: string, ok: (spec: Record<string, any>) => boolean, lacks: string): Violation[] {
  return ofType(rs, T.namespace)
    .filter((ns) => ns.props.metadata?.labels?.[TEAM_LABEL])
    .flatMap((ns) => {
      const name = ns.props.metadata.name;
      const found = ofType(rs, type).some((r) => r.props.metadata?.namespace === name && ok(r.props.spec ?? {}));
      return found ? [] : [{ resource: ns, message: `team namespace ${name} has no ${lacks}.` }];
    });
}

export const RULES: readonly Rule[] = [
  {
    name: "team-namespace-has-quota",
    description: "Every team namespace has a ResourceQuota on CPU, memory and GPUs.",
    check: (rs) =>
      everyTeamNamespaceHas(
        rs,
        T.quota,
        (spec) => !spec.scopeSelector && ["requests.cpu", "requests.memory", "requests.nvidia.com/gpu"].every((k) => k in (spec.hard ?? {})),
        "ResourceQuota on requests.cpu, requests.memory and requests.nvidia.com/gpu",
      ),
  },
  {
    name: "team-namespace-default-deny",
    description: "Every team namespace has a default-deny ingress NetworkPolicy.",
    check: (rs) =>
      everyTeamNamespaceHas(
        rs,
        T.netpol,
        (spec) => isEmpty(spec.podSelector) && (spec.policyTypes ?? []).includes("Ingress") && (spec.ingress ?? []).length === 0,
        "default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules)",
      ),
  },
  {
    name: "rayclusters-queued",
    description: "Every team namespace has the Kueue LocalQueue \"default\", and every RayCluster names a LocalQueue of its namespace.",
    check: (rs) => {
      const queues = new Set(ofType(rs, T.localQueue).map((q) => `${q.props.metadata?.namespace}/${q.props.metadata?.name}`));
      return [
        ...ofType(rs, T.namespace)
          .filter((ns) => ns.props.metadata?.labels?.[TEAM_LABEL] && !queues.has(`${ns.props.metadata.name}/default`))
          .map((ns) => ({ resource: ns, message: `team namespace ${ns.props.metadata.name} has no Kueue LocalQueue "default"; RayClusters made without a queue name would never be admitted.` })),
        ...ofType(rs, T.rayCluster).flatMap((rc) => {
          const m = rc.props.metadata ?? {};
          const queue = m.labels?.[QUEUE_LABEL];
          return queue && queues.has(`${m.namespace}/${queue}`)
            ? []
            : [{ resource: rc, message: `RayCluster ${m.namespace}/${m.name} names ${queue ? `LocalQueue "${queue}", which its namespace lacks` : "no LocalQueue"} (label ${QUEUE_LABEL}); Kueue would not admit it.` }];
        }),
      ];
    },
  },
  {
    name: "gpu-pool-tainted-and-scales-to-zero",
    description: "Every GPU node pool carries the nvidia.com/gpu NoSchedule taint and scales to zero.",
    check: (rs) =>
      ofType(rs, T.nodePool).flatMap((p) => {
        const nc = p.props.nodeConfig ?? {};
        if (!(nc.guestAccelerators ?? []).length) return [];
        const out: Violation[] = [];
        const tainted = (nc.taints ?? []).some((t: any) => t.key === "nvidia.com/gpu" && t.value === "present" && t.effect === "NO_SCHEDULE");
        if (!tainted) out.push({ resource: p, message: `GPU node pool ${p.props.name} lacks the taint nvidia.com/gpu=present:NoSchedule, so non-GPU pods could hold its GPUs.` });
        const a = p.props.autoscaling ?? {};
        if ((a.totalMinNodeCount ?? a.minNodeCount ?? p.props.nodeCount ?? 1) !== 0) out.push({ resource: p, message: `GPU node pool ${p.props.name} does not scale to zero (minimum must be 0), so idle GPUs keep costing.` });
        return out;
      }),
  },
  {
    name: "raycluster-internal-only",
    description: "No RayCluster, and no Service in front of one, is exposed outside the cluster.",
    check: (rs) => [
      ...ofType(rs, T.rayCluster).flatMap((rc) => {
        const head = rc.props.spec?.headGroupSpec ?? {};
        const exposed = (head.serviceType && head.serviceType !== "ClusterIP") || head.enableIngress === true;
        return exposed ? [{ resource: rc, message: `RayCluster ${rc.props.metadata?.name} exposes its head outside the cluster (serviceType ${head.serviceType}${head.enableIngress ? ", enableIngress" : ""}); use ClusterIP and kubectl port-forward.` }] : [];
      }),
      ...ofType(rs, T.service).flatMap((s) => {
        const spec = s.props.spec ?? {};
        const forRay = Object.keys(spec.selector ?? {}).some((k) => k.startsWith("ray.io/"));
        return forRay && spec.type && spec.type !== "ClusterIP" ? [{ resource: s, message: `Service ${s.props.metadata?.name} exposes Ray pods outside the cluster (type ${spec.type}); use ClusterIP.` }] : [];
      }),
    ],
  },
  {
    name: "image-streaming-on",
    description: "GKE image streaming is on for the cluster and every node pool.",
    check: (rs) => [
      ...ofType(rs, T.cluster).flatMap((c) =>
        c.props.nodePoolDefaults?.nodeConfigDefaults?.gcfsConfig?.enabled === true ? [] : [{ resource: c, message: `cluster ${c.props.name} does not turn image streaming on by default (nodePoolDefaults.nodeConfigDefaults.gcfsConfig.enabled).` }],
      ),
      ...ofType(rs, T.nodePool).flatMap((p) =>
        p.props.nodeConfig?.gcfsConfig?.enabled === true ? [] : [{ resource: p, message: `node pool ${p.props.name} has image streaming off (nodeConfig.gcfsConfig.enabled); large Ray GPU images would take minutes to pull.` }],
      ),
    ],
  },
  {
    name: "cluster-deletion-protection",
    description: "The GKE cluster has deletion protection on.",
    check: (rs) =>
      ofType(rs, T.cluster).flatMap((c) => (c.props.deletionProtection === false ? [{ resource: c, message: `cluster ${c.props.name} has deletion protection off.` }] : [])),
  },
];

/** Every violation of every rule, as "rule: message" lines. */
export function violations(resources: readonly PolicyResource[]): string[] {
  return RULES.flatMap((rule) => rule.check(resources).map((v) => `${rule.name}: ${v.message}`));
}
