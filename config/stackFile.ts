/**
 * The stack configuration (`Pulumi.<stack>.yaml`, namespace `ray-platform`), as zod schemas.
 * Each setting's meaning is its `.meta({ description })` and its default its `.default()` (or
 * `computedDefault` when the program derives it); `npm run docs:config` writes
 * docs/stack-config.md's reference from them. Scalar keys are also declared in Pulumi.yaml with the same defaults (a
 * test keeps the two in step); structured keys can only live in the stack file.
 */
import { z } from "zod";
import { kueueSchema } from "./kueue";
import { chartSchema, count, dnsLabel, oneOf, quantity, strictObject } from "./schema";
import { KUBERAY_NAMESPACE, POOL_LABEL, RAY_PORTS } from "./wire";

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const cidr = z
  .string()
  .superRefine((v, ctx) => {
    const m = CIDR.exec(v);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      ctx.addIssue({
        code: "custom",
        message: `"${v}" is not an IPv4 CIDR range; write it like 10.0.0.0/20.`,
        input: v,
      });
      return;
    }
    // GCP refuses a range with host bits set (10.0.0.1/8): say which network was meant.
    const address = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(m[5]));
    const network = address - (address % size);
    if (network !== address) {
      const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
      ctx.addIssue({
        code: "custom",
        message: `"${v}" has host bits set, which GCP refuses; write the network: ${dotted}/${m[5]}.`,
        input: v,
      });
    }
  })
  .meta({ title: "IPv4 CIDR" });

/** GPUs of a node pool's nodes (`per: "node"`) or of a worker group's workers (`per: "worker"`). */
export function gpuRequestSchema(per: "node" | "worker") {
  return strictObject({
    type: z.string().meta({
      description: "GPU type: a friendly name from data/gke-accelerators.yaml (t4, a100, a100-80gb).",
    }),
    count: count("GPUs", 1)
      .optional()
      .meta(
        per === "node"
          ? {
              description: "GPUs per node: T4 nodes take 1, 2 or 4; A2 machine types fix the count.",
              computedDefault: "what the machine type fixes, else 1",
            }
          : {
              description: "GPUs per worker, at most what one node of its pool has.",
              computedDefault: "the pool's GPUs per node",
            },
      ),
  });
}

export const nodePoolSchema = strictObject({
  name: dnsLabel("1035", 33).meta({
    description: `Pool name: the \`${POOL_LABEL}\` node label, and the GKE pool's name with a 7-character suffix (GKE allows 40). Keep it stable: a renamed pool is a new pool.`,
  }),
  role: oneOf(["system", "ray-head", "ray-worker"], "node pool role").default("ray-worker").meta({
    description:
      "system: KubeRay operator and platform add-ons; ray-head: Ray head pods; ray-worker: Ray workers. gke mode needs a system and a ray-head pool.",
  }),
  machineType: z.string().optional().meta({
    description:
      "Compute Engine machine type, e.g. n2-standard-16, n1-standard-16 (T4) or a2-highgpu-1g (A100).",
    computedDefault: "required in gke mode",
  }),
  minNodes: count("nodes").default(0).meta({
    description:
      "Fewest nodes in the whole pool (all zones together). GPU pools must use 0, system pools at least 1.",
  }),
  maxNodes: count("nodes", 1).meta({
    description: "Most nodes in the whole pool (all zones together); at least minNodes.",
  }),
  spot: z
    .boolean()
    .default(false)
    .meta({ description: "Spot VMs: much cheaper, can be reclaimed at any time." }),
  gpu: gpuRequestSchema("node").optional().meta({
    description: "GPUs on every node of the pool (role ray-worker only).",
    computedDefault: "none (CPU pool)",
  }),
  diskSizeGb: count("GB of disk", 10).default(200).meta({
    description:
      "Boot disk size in GB. Ray GPU images are large; image streaming keeps pulls fast, not small.",
  }),
  diskType: oneOf(["pd-balanced", "pd-ssd", "pd-standard"], "disk type")
    .default("pd-balanced")
    .meta({ description: "Boot disk type." }),
  zones: z.array(z.string()).min(1).optional().meta({
    description: "Zones for this pool, a subset of gke.zones; each must offer the pool's GPU.",
    computedDefault: "the gke.zones that offer the pool's GPU",
  }),
  nodeSelector: z
    .record(z.string(), z.string())
    .optional()
    .meta({
      description: "existing mode only: labels that select this pool's nodes.",
      computedDefault: `\`${POOL_LABEL}: <name>\``,
    }),
  capacity: strictObject({
    cpu: quantity("CPU").meta({ description: "CPUs one pod may request." }),
    memory: quantity("memory").meta({ description: "Memory one pod may request." }),
  })
    .optional()
    .meta({
      description: "existing mode without machineType: what one pod may request on a node of this pool.",
    }),
});

const gkeSchema = strictObject({
  clusterName: dnsLabel("1035", 40).default("ray-platform").meta({ description: "GKE cluster name." }),
  location: oneOf(["regional", "zonal"], "cluster location").default("regional").meta({
    description:
      "regional: control plane replicated across the region's zones; zonal: in the first of `zones`.",
  }),
  zones: z
    .array(z.string())
    .min(1)
    .meta({ description: "Zones where nodes run (node locations), in gcp:region." }),
  releaseChannel: oneOf(["RAPID", "REGULAR", "STABLE"], "release channel")
    .default("REGULAR")
    .meta({ description: "GKE release channel." }),
  imageStreaming: z
    .boolean()
    .default(true)
    .meta({ description: "GKE image streaming (cluster default and every pool)." }),
  deletionProtection: z
    .boolean()
    .default(true)
    .meta({ description: "GKE refuses to delete the cluster while set." }),
  privateNodes: z
    .boolean()
    .default(true)
    .meta({ description: "Nodes get no public IP; egress goes through Cloud NAT." }),
  masterIpv4CidrBlock: cidr
    .default("172.16.0.0/28")
    .meta({ description: "/28 range for the control plane's private endpoint." }),
  dnsEndpoint: z.boolean().default(true).meta({
    description:
      "Control plane also reachable at a DNS name, authorized by IAM alone (for CI runners and laptops without fixed IPs); the kubeconfig uses it.",
  }),
  authorizedNetworks: z
    .array(
      strictObject({
        cidr: cidr.meta({ description: "The network's IPv4 range." }),
        name: z.string().min(1).meta({ description: "What the network is (shown by GKE)." }),
      }),
    )
    .default([])
    .meta({
      description: "Networks allowed to reach the control plane's IP endpoint (empty: none but Google's).",
    }),
  securityGroup: z
    .string()
    .regex(/^gke-security-groups@[^@\s]+\.[^@\s]+$/, {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is not a GKE security group; it must be named gke-security-groups@<your domain>.`,
    })
    .optional()
    .meta({
      description:
        "Google Groups for RBAC: `gke-security-groups@<your domain>`. Needed for group: members in team files.",
    }),
  gpuDriverVersion: oneOf(["DEFAULT", "LATEST"], "GPU driver version").default("DEFAULT").meta({
    description:
      "NVIDIA driver GKE installs on GPU nodes: DEFAULT (qualified for the node version) or LATEST.",
  }),
  network: strictObject({
    nodesCidr: cidr
      .default("10.10.0.0/20")
      .meta({ description: "The subnetwork's primary range: node addresses." }),
    podsCidr: cidr.default("10.16.0.0/14").meta({ description: "Secondary range for pod addresses." }),
    servicesCidr: cidr
      .default("10.20.0.0/20")
      .meta({ description: "Secondary range for Service addresses; every team's Services must fit in it." }),
  })
    .prefault({})
    .meta({
      description: "The subnetwork's ranges; they must not overlap each other or masterIpv4CidrBlock.",
    }),
});

/**
 * The kuberay-operator chart version the program installs by default; its CRDs are pinned in
 * data/kuberay/<version>, and render/kuberay-types.generated.ts is made from its RayCluster CRD.
 */
export const KUBERAY_VERSION = "1.7.0";

const kuberaySchema = strictObject({
  version: z.string().default(KUBERAY_VERSION).meta({
    description:
      "kuberay-operator chart version; its CRDs must be pinned under data/kuberay/<version>/crds (`npm run kuberay:pin`).",
  }),
  namespace: dnsLabel("1123")
    .refine((ns) => !/^(kube-|gke-)/.test(ns) && ns !== "default", {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is a system namespace; the program creates and owns the operator's namespace, so pick one of its own (default: ${KUBERAY_NAMESPACE}).`,
    })
    .default(KUBERAY_NAMESPACE)
    .meta({
      description: "Namespace of the operator (not default, kube-* or gke-*: the program creates it).",
    }),
  values: z
    .record(z.string(), z.unknown())
    .default({})
    .meta({ description: "Helm values merged over the program's (lists replace)." }),
  chart: chartSchema("the kuberay-operator chart", "data/kuberay/1.7.0/chart"),
});

const raySchema = strictObject({
  defaultVersion: z.string().optional().meta({
    description: "Ray version for RayClusters that do not pin one; must be listed in data/ray-images.yaml.",
    computedDefault: "data/ray-images.yaml's `default`",
  }),
  imageRegistry: z.string().optional().meta({
    description: "Registry prefix for Ray images.",
    computedDefault: "gke: the Artifact Registry Docker Hub proxy; existing: docker.io",
  }),
});

const MODES = ["gke", "existing"] as const;

/**
 * Where Managed Prometheus's collectors run, by mode: GKE's managed collection in
 * gke-gmp-system; the self-deployed operator (and GKE attached clusters) in gmp-system
 * (prometheus-engine manifests/operator.yaml). Only these may scrape Ray's metrics port.
 */
export const MONITORING_NAMESPACES = { gke: "gke-gmp-system", existing: "gmp-system" } as const;

/** Every key of the stack configuration, with the schema of its value. */
export const stackSchema = z.object({
  "gcp:project": z.string().min(1).optional().meta({
    description: "Google Cloud project the platform lives in.",
    computedDefault: "required in gke mode",
  }),
  "gcp:region": z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Region of the cluster and its network.", computedDefault: "required in gke mode" }),
  "ray-platform:mode": oneOf(MODES, "mode").default("gke").meta({
    description:
      "gke creates the GKE cluster and everything on it; existing deploys onto the cluster of kubeconfigContext (kind, minikube, other clouds) and creates no GCP resource.",
  }),
  "ray-platform:kubeconfigContext": z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Kubeconfig context of the existing cluster (mode existing only)." }),
  "ray-platform:teamsDir": z
    .string()
    .min(1)
    .default("teams")
    .meta({ description: "Directory of team files, one YAML file per team, relative to the project." }),
  "ray-platform:monitoringNamespace": dnsLabel("1123")
    .optional()
    .meta({
      description: `Namespace of the metrics collectors allowed to scrape Ray's metrics port (${RAY_PORTS.metrics}): GKE's managed collection, or the self-deployed operator.`,
      computedDefault: Object.entries(MONITORING_NAMESPACES)
        .map(([mode, ns]) => `${ns} in ${mode} mode`)
        .join(", "),
    }),
  "ray-platform:maxCostIncrease": z
    .string()
    .regex(/^\d+(\.\d+)?$/, {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is not an amount of US dollars; write a number such as 5000.`,
    })
    .default("5000")
    .meta({
      description:
        "US dollars a month: the PR report flags a change that raises the stack's maximum cost (every pool at maxNodes) by more as dangerous.",
    }),
  "ray-platform:gke": gkeSchema
    .optional()
    .meta({ description: "The GKE cluster (gke mode).", computedDefault: "required in gke mode" }),
  "ray-platform:nodePools": z.array(nodePoolSchema).default([]).meta({
    description: "Node pools (gke mode), or the existing cluster's node groups; see the node pool table.",
  }),
  "ray-platform:kuberay": kuberaySchema.prefault({}).meta({ description: "The KubeRay operator." }),
  "ray-platform:ray": raySchema.prefault({}).meta({ description: "Ray versions and images." }),
  "ray-platform:kueue": kueueSchema
    .prefault({})
    .meta({ description: "Kueue, which queues each team's RayClusters within its quota." }),
});

export type StackValues = z.infer<typeof stackSchema>;
export type NodePoolValues = z.infer<typeof nodePoolSchema>;
export type GkeValues = z.infer<typeof gkeSchema>;

/** Keys whose values are objects or lists (JSON in Pulumi's config). */
export const STRUCTURED_KEYS = [
  "ray-platform:gke",
  "ray-platform:nodePools",
  "ray-platform:kuberay",
  "ray-platform:ray",
  "ray-platform:kueue",
];
/** Scalar keys declared in Pulumi.yaml. */
export const SCALAR_KEYS = [
  "ray-platform:mode",
  "ray-platform:kubeconfigContext",
  "ray-platform:teamsDir",
  "ray-platform:monitoringNamespace",
  "ray-platform:maxCostIncrease",
];
