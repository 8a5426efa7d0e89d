/**
 * The team file (`teams/<team>.yaml`), as zod schemas. Each field's meaning is its
 * `.meta({ description })` and its default its `.default()` (or `computedDefault` when the
 * program derives it); `npm run docs:config` writes docs/team-file.md's reference from them.
 */
import { z } from "zod";
import { show } from "./errors";
import { count, dnsLabel, imageReference, oneOf, quantity, strictObject } from "./schema";
import { quotaSharingShape } from "./kueue";
import { gpuRequestSchema } from "./stackFile";
import { TOOL_PORTS } from "./wire";

/** IAM-style member: `user:alice@example.com` or `group:ml-team@example.com`. */
const memberSchema = z
  .string({
    error: (iss) => {
      // `- user: dana@example.com` (a space after the colon) is a mapping to YAML.
      const entries =
        iss.input && typeof iss.input === "object" && !Array.isArray(iss.input)
          ? Object.entries(iss.input as Record<string, unknown>)
          : [];
      const [entry] = entries;
      if (entries.length === 1 && entry) {
        const [kind, address] = entry;
        if (["user", "group"].includes(kind) && typeof address === "string")
          return `${kind}: ${address} has a space after the colon, which makes it a mapping to YAML; write ${kind}:${address}.`;
      }
      return undefined;
    },
  })
  .superRefine((m, ctx) => {
    // Two entries on one line: the list below the first was indented as part of its text.
    if (/\s-\s+(user|group):/.test(m)) {
      ctx.addIssue({
        code: "custom",
        input: m,
        message: `${show(m)} looks like several members on one line: YAML reads a "- " indented further than the first entry as part of its text. Put each member on its own line, its "- " aligned with the first one's.`,
      });
      return;
    }
    // A look-alike letter (Cyrillic а), an invisible or a bidi character would grant access to an
    // identity the reviewer cannot tell apart: Google account and group emails are ASCII.
    const odd = /[^\x21-\x7e]/u.exec(m);
    if (odd?.[0] === " " && !/[^\x20-\x7e]/u.test(m)) {
      ctx.addIssue({
        code: "custom",
        input: m,
        message: `${show(m)} has a space (character ${odd.index + 1}); a member is user:<email> or group:<email> with none: remove it.`,
      });
      return;
    }
    if (odd) {
      const code = `U+${odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
      ctx.addIssue({
        code: "custom",
        input: m,
        message: `"${m.replace(/[^\x21-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)}" has a character that is not plain ASCII (${code}, character ${odd.index + 1}): it may look like another letter or be invisible, and would grant access to someone else; retype the address.`,
      });
      return;
    }
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
  })
  .meta({ title: "`user:<email>` or `group:<email>`" });

/** What head and worker groups have in common, each with its own defaults. */
function groupShape(group: "head" | "worker") {
  const node =
    group === "head"
      ? "a whole node of the head pool, less sidecars"
      : "a whole node of the pool, less sidecars (one worker per node)";
  return {
    cpu: quantity("CPU")
      .optional()
      .meta({ description: "CPUs for the Ray container.", computedDefault: node }),
    memory: quantity("memory")
      .optional()
      .meta({ description: "Memory for the Ray container.", computedDefault: node }),
    pool: z
      .string()
      .optional()
      .meta({
        description: "Node pool; required when several fit.",
        computedDefault:
          group === "head"
            ? "the only pool with role ray-head"
            : "the only worker pool that fits (for GPU workers, the one offering their GPU type)",
      }),
    // rayStartParams are strings in the CRD; numbers and booleans written in YAML are accepted and quoted.
    rayStartParams: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .meta({
        description:
          group === "head"
            ? 'Extra `ray start` flags (rules below the table). The head of a cluster with workers gets num-cpus: "0", keeping tasks on the workers, unless it sets num-cpus or rayResources.'
            : "Extra `ray start` flags (rules below the table).",
      }),
    rayResources: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .meta({
        description:
          "Ray logical resources of the group (KubeRay's group `resources`), e.g. `{ CPU: 8, my_accelerator: 1 }`.",
      }),
  };
}

const workerGroupSchema = strictObject({
  name: dnsLabel("1123", 40).meta({ description: "Worker group name (`groupName`), unique in the cluster." }),
  ...groupShape("worker"),
  gpu: gpuRequestSchema("worker").optional().meta({
    description: "GPUs per worker; the type picks the pool offering it.",
    computedDefault: "none (CPU workers)",
  }),
  replicas: count("replicas").optional().meta({
    description: "Workers at creation; for fixed-size groups only.",
    computedDefault: "minReplicas",
  }),
  minReplicas: count("replicas").optional().meta({
    description: "Fewest workers the autoscaler keeps.",
    computedDefault: "replicas, else 0 (1 if none of the three is set)",
  }),
  maxReplicas: count("replicas").optional().meta({
    description: "Most workers the autoscaler may add; above minReplicas turns the autoscaler on.",
    computedDefault: "replicas or minReplicas (a fixed-size group)",
  }),
});

export const rayClusterSchema = strictObject({
  name: z.string().meta({
    description: "RayCluster name: DNS-1035, at most 53 characters (KubeRay's limit), unique in the team.",
  }),
  description: z.string().optional().meta({ description: "Shown as an annotation." }),
  rayVersion: z.string().optional().meta({
    description:
      "Ray version (token authentication needs 2.52.0 or later); must have images listed in data/ray-images.yaml unless `image` is set.",
    computedDefault: "the stack's ray.defaultVersion",
  }),
  image: imageReference().optional().meta({
    description: "A custom image for every Ray container (then rayVersion is required).",
    computedDefault:
      "`<registry>/rayproject/ray:<version>-<python>[-gpu]`, the Python of data/ray-images.yaml",
  }),
  head: strictObject(groupShape("head"))
    .prefault({})
    .meta({ description: "The head pod (never on a GPU node)." }),
  workerGroups: z.array(workerGroupSchema).default([]).meta({ description: "Worker groups." }),
  autoscaler: strictObject({
    idleTimeoutSeconds: count("seconds")
      .default(60)
      .meta({ description: "Seconds a worker may stay idle before the autoscaler removes it." }),
    upscalingMode: oneOf(["Default", "Aggressive", "Conservative"], "upscaling mode")
      .default("Default")
      .meta({ description: "How fast the autoscaler adds workers." }),
  })
    .prefault({})
    .meta({
      description: "Ray autoscaler (v2), used when a worker group's minReplicas is below its maxReplicas.",
    }),
  notebook: z
    .boolean()
    .default(false)
    .meta({ description: `JupyterLab on port ${TOOL_PORTS.notebook} in the head pod.` }),
  vscode: z
    .boolean()
    .default(false)
    .meta({ description: `OpenVSCode Server on port ${TOOL_PORTS.vscode} in the head pod.` }),
  tutorials: z
    .boolean()
    .default(false)
    .meta({ description: "The platform's tutorial notebooks, copied into the workspace at start." }),
});

/**
 * A team's object-count quota; the defaults leave room for about ten RayClusters with their
 * Services, tutorials, token Secrets and tools, well within a /20 Service range shared by 100 teams.
 */
const objectQuotaSchema = strictObject({
  services: count("Services").default(30).meta({
    description:
      "Services; each takes an address of the cluster's Service range, and all teams' together must fit it less 256 (checked, shown in the plan).",
  }),
  configMaps: count("ConfigMaps").default(50).meta({ description: "ConfigMaps." }),
  secrets: count("Secrets").default(30).meta({ description: "Secrets." }),
  pods: count("pods").default(300).meta({ description: "Pods." }),
  persistentVolumeClaims: count("PersistentVolumeClaims")
    .default(20)
    .meta({ description: "PersistentVolumeClaims." }),
});

const quotaSchema = strictObject({
  cpu: quantity("CPU").meta({ description: "CPU requests of all pods together." }),
  memory: quantity("memory").meta({ description: "Memory requests of all pods together." }),
  gpus: z
    .record(z.string(), count("GPUs"))
    .default({})
    .meta({ description: "GPUs per type (t4, a100, a100-80gb); a type not listed gets 0." }),
  rayClusters: count("RayClusters")
    .optional()
    .meta({ description: "Most RayClusters the namespace may hold.", computedDefault: "no limit" }),
  storage: quantity("storage").default("0").meta({ description: "Total PersistentVolumeClaim storage." }),
  ephemeralStorage: quantity("ephemeral storage").default("500Gi").meta({
    description:
      "Ephemeral storage (container scratch space, logs, emptyDirs on disk) all pods may request together; each container requests 1Gi, limit 50Gi, unless it sets its own.",
  }),
  objects: objectQuotaSchema.prefault({}).meta({
    description:
      "Most objects of each kind the namespace may hold, so one team cannot exhaust what all share.",
  }),
  ...quotaSharingShape,
});

export const teamSchema = strictObject({
  name: z
    .string()
    .meta({ description: "Team name = file name = namespace: a DNS-1123 label, not a system namespace." }),
  description: z.string().min(1).meta({ description: "Shown in the namespace's annotations and the plan." }),
  owners: z.array(memberSchema).min(1).meta({
    description:
      "`ray-platform:team-owner` in the namespace (pods, Deployments, StatefulSets, Jobs, Secrets, Services; not NetworkPolicies, quotas, RoleBindings or service accounts), plus everything contributors may do. At least one.",
  }),
  contributors: z.array(memberSchema).default([]).meta({
    description:
      "May create, scale and delete RayClusters, RayJobs and RayServices (pods as the `ray` service account, no Secrets: see Security); exec, port-forward, read logs; delete pods (restart a wedged head); ConfigMaps and PVCs.",
  }),
  quota: quotaSchema.meta({ description: "The namespace's quotas, and its Kueue ClusterQueue's." }),
  bucket: z
    .boolean()
    .default(false)
    .meta({ description: "A GCS bucket `gs://<project>-ray-<team>` for the team's Ray pods (gke mode)." }),
  rayClusters: z
    .array(rayClusterSchema)
    .default([])
    .meta({ description: "RayClusters; see the RayCluster table." }),
});

export type TeamValues = z.infer<typeof teamSchema>;
export type ObjectQuota = z.infer<typeof objectQuotaSchema>;
export type RayClusterValues = z.infer<typeof rayClusterSchema>;
export type WorkerGroupValues = z.infer<typeof workerGroupSchema>;
