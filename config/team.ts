/**
 * The team file (`teams/<team>.yaml`), as zod schemas. The README's configuration reference
 * documents every field; keep the two in step.
 */
import { z } from "zod";
import { show } from "./errors";
import { count, dnsLabel, oneOf, quantity, strictObject } from "./schema";
import { quotaSharingShape } from "./kueue";
import { gpuRequestSchema } from "./stack";

/** IAM-style member: `user:alice@example.com` or `group:ml-team@example.com`. */
const memberSchema = z.string().superRefine((m, ctx) => {
  if (!/^(user|group):[^@\s:]+@[^@\s]+\.[a-zA-Z]{2,}$/.test(m)) {
    const bare = /^[^@\s:]+@[^@\s]+\.[a-zA-Z]{2,}$/.test(m);
    ctx.addIssue({
      code: "custom",
      input: m,
      message: bare
        ? `${show(m)} does not say whether it is a user or a group; write user:${m} or group:${m}.`
        : `${show(m)} is not a member; write user:<email> or group:<email>, e.g. user:alice@example.com.`,
    });
  }
});

/** rayStartParams are strings in the CRD; numbers and booleans written in YAML are accepted and quoted. */
const rayStartParams = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({});

const resourcesShape = {
  /** CPUs for the Ray container; default: what one node of the pool can give. */
  cpu: quantity("CPU").optional(),
  /** Memory for the Ray container; default: what one node of the pool can give. */
  memory: quantity("memory").optional(),
  /** Node pool; default: the only pool that fits (role ray-head for heads, the GPU type's pool for workers). */
  pool: z.string().optional(),
  /** Extra `ray start` flags, e.g. num-cpus: "0" to keep tasks off a head. */
  rayStartParams,
  /** Ray logical resources of the group (KubeRay's group `resources`), e.g. { CPU: "8", my_accelerator: "1" }. */
  rayResources: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
};

const workerGroupSchema = strictObject({
  /** Worker group name (`groupName`), unique in the cluster. */
  name: dnsLabel("1123", 40),
  ...resourcesShape,
  /** GPUs per worker; the type picks the pool, count defaults to the pool's GPUs per node. */
  gpu: gpuRequestSchema.optional(),
  /** Workers at creation; default: minReplicas. */
  replicas: count("replicas").optional(),
  /** Fewest workers the autoscaler keeps; default: replicas, else 0. */
  minReplicas: count("replicas").optional(),
  /** Most workers the autoscaler may add; default: replicas or minReplicas (a fixed-size group). */
  maxReplicas: count("replicas").optional(),
});

export const rayClusterSchema = strictObject({
  /** RayCluster name: DNS-1035, at most 53 characters (KubeRay's limit). */
  name: z.string(),
  description: z.string().optional(),
  /** Ray version; default: the stack's ray.defaultVersion. Must have images listed in data/ray-images.yaml unless `image` is set. */
  rayVersion: z.string().optional(),
  /** A custom image for every Ray container (then rayVersion is required). */
  image: z.string().min(1).optional(),
  head: strictObject(resourcesShape).default({ rayStartParams: {} }),
  workerGroups: z.array(workerGroupSchema).default([]),
  /** Ray autoscaler (v2), used when a worker group's minReplicas is below its maxReplicas. */
  autoscaler: strictObject({
    /** Seconds a worker may stay idle before the autoscaler removes it. */
    idleTimeoutSeconds: count("seconds").default(60),
    upscalingMode: oneOf(["Default", "Aggressive", "Conservative"], "upscaling mode").default("Default"),
  }).default({ idleTimeoutSeconds: 60, upscalingMode: "Default" }),
  /** JupyterLab on port 8081 in the head pod. */
  notebook: z.boolean().default(false),
  /** OpenVSCode Server on port 3000 in the head pod. */
  vscode: z.boolean().default(false),
  /** The platform's tutorial notebooks, copied into the workspace at start. */
  tutorials: z.boolean().default(false),
});

/**
 * Defaults of a team's object-count quota: room for about ten RayClusters with their Services,
 * tutorials, token Secrets and tools, well within a /20 Service range shared by 100 teams.
 */
const OBJECT_QUOTA_DEFAULTS = { services: 30, configMaps: 50, secrets: 30, pods: 300, persistentVolumeClaims: 20, ephemeralStorage: "500Gi" } as const;

const objectQuotaSchema = strictObject({
  /** Services (each takes an address of the cluster's Service range, shared by all teams). */
  services: count("Services").default(OBJECT_QUOTA_DEFAULTS.services),
  configMaps: count("ConfigMaps").default(OBJECT_QUOTA_DEFAULTS.configMaps),
  secrets: count("Secrets").default(OBJECT_QUOTA_DEFAULTS.secrets),
  pods: count("pods").default(OBJECT_QUOTA_DEFAULTS.pods),
  persistentVolumeClaims: count("PersistentVolumeClaims").default(OBJECT_QUOTA_DEFAULTS.persistentVolumeClaims),
}).default({
  services: OBJECT_QUOTA_DEFAULTS.services,
  configMaps: OBJECT_QUOTA_DEFAULTS.configMaps,
  secrets: OBJECT_QUOTA_DEFAULTS.secrets,
  pods: OBJECT_QUOTA_DEFAULTS.pods,
  persistentVolumeClaims: OBJECT_QUOTA_DEFAULTS.persistentVolumeClaims,
});

const quotaSchema = strictObject({
  /** CPU requests of all pods together. */
  cpu: quantity("CPU"),
  /** Memory requests of all pods together. */
  memory: quantity("memory"),
  /** GPUs per type (t4, a100, a100-80gb); a type not listed gets 0. */
  gpus: z.record(z.string(), count("GPUs")).default({}),
  /** Most RayClusters the namespace may hold; default: no limit. */
  rayClusters: count("RayClusters").optional(),
  /** Total PersistentVolumeClaim storage; default 0 (none). */
  storage: quantity("storage").default("0"),
  /** Ephemeral storage (container scratch space, logs, emptyDirs on disk) all pods may request together. */
  ephemeralStorage: quantity("ephemeral storage").default(OBJECT_QUOTA_DEFAULTS.ephemeralStorage),
  /** Most objects of each kind the namespace may hold, so one team cannot exhaust what all share. */
  objects: objectQuotaSchema,
  /** Borrowing and lending limits and the fair-sharing weight of the team's Kueue ClusterQueue. */
  ...quotaSharingShape,
});

export const teamSchema = strictObject({
  /** Team name = file name = namespace (DNS-1123 label). */
  name: z.string(),
  description: z.string().min(1),
  /** Admin rights in the namespace. */
  owners: z.array(memberSchema).min(1),
  /** May create, scale and delete RayClusters and RayJobs, exec, port-forward and read logs. */
  contributors: z.array(memberSchema).default([]),
  quota: quotaSchema,
  /** A GCS bucket gs://<project>-ray-<team> for the team's Ray pods (gke mode). */
  bucket: z.boolean().default(false),
  rayClusters: z.array(rayClusterSchema).default([]),
});

export type TeamValues = z.infer<typeof teamSchema>;
export type ObjectQuota = z.infer<typeof objectQuotaSchema>;
export type RayClusterValues = z.infer<typeof rayClusterSchema>;
export type WorkerGroupValues = z.infer<typeof workerGroupSchema>;

