/**
 * The stack configuration (`Pulumi.<stack>.yaml`, namespace `ray-platform`), as zod schemas.
 * Scalar keys are also declared in Pulumi.yaml with the same defaults (a test keeps the two
 * in step); structured keys can only live in the stack file.
 */
import { z } from "zod";
import { KUEUE_VERSION, kueueSchema } from "./kueue";
import { count, dnsLabel, oneOf, quantity, strictObject } from "./schema";

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const cidr = z.string().superRefine((v, ctx) => {
  const m = CIDR.exec(v);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not an IPv4 CIDR range; write it like 10.0.0.0/20.`, input: v });
  }
});

export const gpuRequestSchema = strictObject({
  /** Friendly GPU name from data/gke-accelerators.yaml: t4, a100, a100-80gb. */
  type: z.string(),
  /** GPUs per node (pool) or per worker (RayCluster); defaults to what the machine type fixes or allows. */
  count: count("GPUs", 1).optional(),
});

export const nodePoolSchema = strictObject({
  /** Pool name: the `ray-platform/pool` node label, and the GKE pool's name with a 7-character suffix (GKE allows 40). */
  name: dnsLabel("1035", 33),
  /** system: KubeRay operator and platform add-ons; ray-head: Ray head pods; ray-worker: Ray workers. */
  role: oneOf(["system", "ray-head", "ray-worker"], "node pool role").default("ray-worker"),
  /** Compute Engine machine type, e.g. n1-standard-16 or a2-highgpu-1g. Required in gke mode. */
  machineType: z.string().optional(),
  /** Fewest nodes in the whole pool (all zones together). GPU pools must use 0. */
  minNodes: count("nodes").default(0),
  /** Most nodes in the whole pool (all zones together). */
  maxNodes: count("nodes", 1),
  /** Spot VMs: much cheaper, can be reclaimed at any time. */
  spot: z.boolean().default(false),
  gpu: gpuRequestSchema.optional(),
  /** Boot disk size. Ray GPU images are large; image streaming keeps pulls fast, not small. */
  diskSizeGb: count("GB of disk", 10).default(200),
  diskType: oneOf(["pd-balanced", "pd-ssd", "pd-standard"], "disk type").default("pd-balanced"),
  /** Zones for this pool, a subset of gke.zones; defaults to the gke.zones that offer its GPU. */
  zones: z.array(z.string()).min(1).optional(),
  /** existing mode: labels that select this pool's nodes (default `ray-platform/pool: <name>`). */
  nodeSelector: z.record(z.string(), z.string()).optional(),
  /** existing mode without machineType: what one pod may request on a node of this pool. */
  capacity: strictObject({ cpu: quantity("CPU"), memory: quantity("memory") }).optional(),
});

const gkeSchema = strictObject({
  /** GKE cluster name (at most 40 characters, starting with a letter). */
  clusterName: dnsLabel("1035", 40).default("ray-platform"),
  /** regional: control plane replicated across the region's zones; zonal: in the first of `zones`. */
  location: oneOf(["regional", "zonal"], "cluster location").default("regional"),
  /** Zones where nodes run (node locations), in gcp:region. */
  zones: z.array(z.string()).min(1),
  releaseChannel: oneOf(["RAPID", "REGULAR", "STABLE"], "release channel").default("REGULAR"),
  /** GKE image streaming (cluster default and every pool). */
  imageStreaming: z.boolean().default(true),
  deletionProtection: z.boolean().default(true),
  /** Nodes get no public IP; egress goes through Cloud NAT. */
  privateNodes: z.boolean().default(true),
  /** /28 range for the control plane's private endpoint. */
  masterIpv4CidrBlock: cidr.default("172.16.0.0/28"),
  /**
   * Control plane also reachable at a DNS name, authorized by IAM alone (for CI runners and
   * laptops without fixed IPs); the kubeconfig uses it.
   */
  dnsEndpoint: z.boolean().default(true),
  /** Networks allowed to reach the control plane's IP endpoint (empty: none but Google's). */
  authorizedNetworks: z.array(strictObject({ cidr, name: z.string().min(1) })).default([]),
  /** Google Groups for RBAC: "gke-security-groups@<your domain>". Needed for group: members in team files. */
  securityGroup: z
    .string()
    .regex(/^gke-security-groups@[^@\s]+\.[^@\s]+$/, {
      error: (iss) => `${JSON.stringify(iss.input)} is not a GKE security group; it must be named gke-security-groups@<your domain>.`,
    })
    .optional(),
  /** NVIDIA driver GKE installs on GPU nodes: DEFAULT (qualified for the node version) or LATEST. */
  gpuDriverVersion: oneOf(["DEFAULT", "LATEST"], "GPU driver version").default("DEFAULT"),
  network: strictObject({
    nodesCidr: cidr.default("10.10.0.0/20"),
    podsCidr: cidr.default("10.16.0.0/14"),
    servicesCidr: cidr.default("10.20.0.0/20"),
  }).default({ nodesCidr: "10.10.0.0/20", podsCidr: "10.16.0.0/14", servicesCidr: "10.20.0.0/20" }),
});

const kuberaySchema = strictObject({
  /** kuberay-operator chart version; its CRDs must be pinned under data/kuberay/<version>/crds. */
  version: z.string().default("1.7.0"),
  /** Namespace of the operator. */
  namespace: dnsLabel("1123").default("kuberay-system"),
  /** Helm values merged over the program's defaults. */
  values: z.record(z.string(), z.unknown()).default({}),
});

const raySchema = strictObject({
  /** Ray version for RayClusters that do not pin one; must be listed in data/ray-images.yaml. */
  defaultVersion: z.string().optional(),
  /** Registry prefix for Ray images. gke mode: the Artifact Registry Docker Hub proxy; existing mode: docker.io. */
  imageRegistry: z.string().optional(),
});

const MODES = ["gke", "existing"] as const;

/** Every key of the stack configuration, with the schema of its value. */
export const stackSchema = z.object({
  "gcp:project": z.string().min(1).optional(),
  "gcp:region": z.string().min(1).optional(),
  "ray-platform:mode": oneOf(MODES, "mode").default("gke"),
  "ray-platform:kubeconfigContext": z.string().min(1).optional(),
  "ray-platform:teamsDir": z.string().min(1).default("teams"),
  /** Default by mode (config/load.ts MONITORING_NAMESPACES): GKE's managed collectors run in gke-gmp-system. */
  "ray-platform:monitoringNamespace": dnsLabel("1123").optional(),
  /** USD a month: a change that raises the stack's maximum cost by more is flagged dangerous in the plan report. */
  "ray-platform:maxCostIncrease": z
    .string()
    .regex(/^\d+(\.\d+)?$/, { error: (iss) => `${JSON.stringify(iss.input)} is not an amount of US dollars; write a number such as 5000.` })
    .default("5000"),
  "ray-platform:gke": gkeSchema.optional(),
  "ray-platform:nodePools": z.array(nodePoolSchema).default([]),
  "ray-platform:kuberay": kuberaySchema.default({ version: "1.7.0", namespace: "kuberay-system", values: {} }),
  "ray-platform:ray": raySchema.default({}),
  "ray-platform:kueue": kueueSchema.default({ version: KUEUE_VERSION, values: {} }),
});

export type StackValues = z.infer<typeof stackSchema>;
export type NodePoolValues = z.infer<typeof nodePoolSchema>;
export type GkeValues = z.infer<typeof gkeSchema>;

/** Keys whose values are objects or lists (JSON in Pulumi's config). */
export const STRUCTURED_KEYS = ["ray-platform:gke", "ray-platform:nodePools", "ray-platform:kuberay", "ray-platform:ray", "ray-platform:kueue"];
/** Scalar keys declared in Pulumi.yaml. */
export const SCALAR_KEYS = ["ray-platform:mode", "ray-platform:kubeconfigContext", "ray-platform:teamsDir", "ray-platform:monitoringNamespace", "ray-platform:maxCostIncrease"];
