/**
 * The platform's rules, each implemented once over a list of resources ({ type, name, props }).
 * Two thin adapters run them: plan/policies.ts over the offline plan, and index.ts as a
 * Pulumi policy pack for real previews (`pulumi preview --policy-pack policy`).
 * Its one import, config/wire.ts, has no imports itself: the labels, taint and resource name the
 * rules check are the ones the program sets, and the pack stays small.
 */
import {
  GKE_TAINT_EFFECT,
  GPU_RESOURCE,
  GPU_TAINT,
  KUBERAY_LABEL_PREFIX,
  QUEUE_LABEL,
  TEAM_LABEL,
} from "../config/wire";

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Pulumi hands policies every resource's inputs untyped.
  readonly props: Record<string, any>;
}

export interface Violation {
  readonly resource?: PolicyResource;
  readonly message: string;
}

/** What a rule found: the objects it is about (team namespaces, GPU pools, ...) and its violations. */
export interface Outcome {
  /** Tests assert this is what it should be, so a renamed label cannot make a rule pass by matching nothing. */
  readonly examined: readonly PolicyResource[];
  readonly violations: readonly Violation[];
}

export interface Rule {
  readonly name: string;
  readonly description: string;
  readonly check: (resources: readonly PolicyResource[]) => Outcome;
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

const ofType = (rs: readonly PolicyResource[], type: string) => rs.filter((r) => r.type === type);
const isEmpty = (o: unknown) => !o || Object.keys(o as object).length === 0;

const teamNamespaces = (rs: readonly PolicyResource[]) =>
  ofType(rs, T.namespace).filter((ns) => ns.props.metadata?.labels?.[TEAM_LABEL]);
const gpuPools = (rs: readonly PolicyResource[]) =>
  ofType(rs, T.nodePool).filter((p) => (p.props.nodeConfig?.guestAccelerators ?? []).length > 0);
/** Services in front of Ray pods (selecting on KubeRay's ray.io/ labels). */
const rayServices = (rs: readonly PolicyResource[]) =>
  ofType(rs, T.service).filter((s) =>
    Object.keys(s.props.spec?.selector ?? {}).some((k) => k.startsWith(KUBERAY_LABEL_PREFIX)),
  );

/** A violation for every team namespace holding no object of `type` that satisfies `ok`. */
function everyTeamNamespaceHas(
  rs: readonly PolicyResource[],
  type: string,
  ok: (spec: PolicyResource["props"]) => boolean,
  lacks: string,
): Outcome {
  const examined = teamNamespaces(rs);
  // One pass over the objects, not one per namespace: a thousand teams hold tens of thousands.
  const satisfied = new Set(
    ofType(rs, type)
      .filter((r) => ok(r.props.spec ?? {}))
      .map((r) => r.props.metadata?.namespace),
  );
  const violations = examined.flatMap((ns) => {
    const name = ns.props.metadata.name;
    return satisfied.has(name) ? [] : [{ resource: ns, message: `team namespace ${name} has no ${lacks}.` }];
  });
  return { examined, violations };
}

const QUOTA_KEYS = ["requests.cpu", "requests.memory", `requests.${GPU_RESOURCE}`];
const TAINT_TEXT = `${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`;

export const RULES: readonly Rule[] = [
  {
    name: "team-namespace-has-quota",
    description: "Every team namespace has a ResourceQuota on CPU, memory and GPUs.",
    check: (rs) =>
      everyTeamNamespaceHas(
        rs,
        T.quota,
        (spec) => !spec.scopeSelector && QUOTA_KEYS.every((k) => k in (spec.hard ?? {})),
        `ResourceQuota on ${QUOTA_KEYS.slice(0, -1).join(", ")} and ${QUOTA_KEYS.at(-1)}`,
      ),
  },
  {
    name: "team-namespace-default-deny",
    description: "Every team namespace has a default-deny ingress NetworkPolicy.",
    check: (rs) =>
      everyTeamNamespaceHas(
        rs,
        T.netpol,
        (spec) =>
          isEmpty(spec.podSelector) &&
          (spec.policyTypes ?? []).includes("Ingress") &&
          (spec.ingress ?? []).length === 0,
        "default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no ingress rules)",
      ),
  },
  {
    name: "rayclusters-queued",
    description:
      'Every team namespace has the Kueue LocalQueue "default", and every RayCluster names a LocalQueue of its namespace.',
    check: (rs) => {
      const queues = new Set(
        ofType(rs, T.localQueue).map((q) => `${q.props.metadata?.namespace}/${q.props.metadata?.name}`),
      );
      const namespaces = teamNamespaces(rs);
      const clusters = ofType(rs, T.rayCluster);
      const violations = [
        ...namespaces
          .filter((ns) => !queues.has(`${ns.props.metadata.name}/default`))
          .map((ns) => ({
            resource: ns,
            message: `team namespace ${ns.props.metadata.name} has no Kueue LocalQueue "default"; RayClusters made without a queue name would never be admitted.`,
          })),
        ...clusters.flatMap((rc) => {
          const m = rc.props.metadata ?? {};
          const queue = m.labels?.[QUEUE_LABEL];
          return queue && queues.has(`${m.namespace}/${queue}`)
            ? []
            : [
                {
                  resource: rc,
                  message: `RayCluster ${m.namespace}/${m.name} names ${queue ? `LocalQueue "${queue}", which its namespace lacks` : "no LocalQueue"} (label ${QUEUE_LABEL}); Kueue would not admit it.`,
                },
              ];
        }),
      ];
      return { examined: [...namespaces, ...clusters], violations };
    },
  },
  {
    name: "gpu-pool-tainted-and-scales-to-zero",
    description: `Every GPU node pool carries the ${GPU_TAINT.key} ${GPU_TAINT.effect} taint and scales to zero.`,
    check: (rs) => {
      const examined = gpuPools(rs);
      const violations = examined.flatMap((p) => {
        const out: Violation[] = [];
        const tainted = (p.props.nodeConfig.taints ?? []).some(
          (t: PolicyResource["props"]) =>
            t.key === GPU_TAINT.key &&
            t.value === GPU_TAINT.value &&
            t.effect === GKE_TAINT_EFFECT[GPU_TAINT.effect],
        );
        if (!tainted)
          out.push({
            resource: p,
            message: `GPU node pool ${p.props.name} lacks the taint ${TAINT_TEXT}, so non-GPU pods could hold its GPUs.`,
          });
        const a = p.props.autoscaling ?? {};
        if ((a.totalMinNodeCount ?? a.minNodeCount ?? p.props.nodeCount ?? 1) !== 0)
          out.push({
            resource: p,
            message: `GPU node pool ${p.props.name} does not scale to zero (minimum must be 0), so idle GPUs keep costing.`,
          });
        return out;
      });
      return { examined, violations };
    },
  },
  {
    name: "raycluster-internal-only",
    description: "No RayCluster, and no Service in front of one, is exposed outside the cluster.",
    check: (rs) => {
      const clusters = ofType(rs, T.rayCluster);
      const services = rayServices(rs);
      const violations = [
        ...clusters.flatMap((rc) => {
          const head = rc.props.spec?.headGroupSpec ?? {};
          const exposed =
            (head.serviceType && head.serviceType !== "ClusterIP") || head.enableIngress === true;
          return exposed
            ? [
                {
                  resource: rc,
                  message: `RayCluster ${rc.props.metadata?.name} exposes its head outside the cluster (serviceType ${head.serviceType}${head.enableIngress ? ", enableIngress" : ""}); use ClusterIP and kubectl port-forward.`,
                },
              ]
            : [];
        }),
        ...services.flatMap((s) => {
          const type = s.props.spec.type;
          return type && type !== "ClusterIP"
            ? [
                {
                  resource: s,
                  message: `Service ${s.props.metadata?.name} exposes Ray pods outside the cluster (type ${type}); use ClusterIP.`,
                },
              ]
            : [];
        }),
      ];
      return { examined: [...clusters, ...services], violations };
    },
  },
  {
    name: "image-streaming-on",
    description: "GKE image streaming is on for the cluster and every node pool.",
    check: (rs) => {
      const clusters = ofType(rs, T.cluster);
      const pools = ofType(rs, T.nodePool);
      const violations = [
        ...clusters.flatMap((c) =>
          c.props.nodePoolDefaults?.nodeConfigDefaults?.gcfsConfig?.enabled === true
            ? []
            : [
                {
                  resource: c,
                  message: `cluster ${c.props.name} does not turn image streaming on by default (nodePoolDefaults.nodeConfigDefaults.gcfsConfig.enabled).`,
                },
              ],
        ),
        ...pools.flatMap((p) =>
          p.props.nodeConfig?.gcfsConfig?.enabled === true
            ? []
            : [
                {
                  resource: p,
                  message: `node pool ${p.props.name} has image streaming off (nodeConfig.gcfsConfig.enabled); large Ray GPU images would take minutes to pull.`,
                },
              ],
        ),
      ];
      return { examined: [...clusters, ...pools], violations };
    },
  },
  {
    name: "cluster-deletion-protection",
    description: "The GKE cluster has deletion protection on.",
    check: (rs) => {
      const examined = ofType(rs, T.cluster);
      return {
        examined,
        violations: examined.flatMap((c) =>
          c.props.deletionProtection === false
            ? [{ resource: c, message: `cluster ${c.props.name} has deletion protection off.` }]
            : [],
        ),
      };
    },
  },
];

/** Every violation of every rule, as "rule: message" lines. */
export function violations(resources: readonly PolicyResource[]): string[] {
  return RULES.flatMap((rule) => rule.check(resources).violations.map((v) => `${rule.name}: ${v.message}`));
}
