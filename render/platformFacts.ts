/**
 * The platform's facts, published in the cluster for the client (`rayctl`): node pools with
 * their GPU type, per-node capacity and hourly price, the image prefix, Ray versions and default, the
 * operator namespace and which clusters belong to which team file. The client resolves clusters
 * with the same code as the program (config/rayClusters.ts) from these facts, so a cluster
 * from the command line is the cluster a team file would make.
 *
 * Format (docs/cli.md, "What the platform publishes for it"): ConfigMap `ray-platform-facts` in the operator namespace,
 * key `facts.json`, `format: ray-platform/facts`, `version: 1`. A client refuses a version it
 * does not know. Readable by the members of every team (a Role with resourceNames and one
 * RoleBinding per team), never by `system:authenticated` (on GKE: any Google account).
 */
import type { input as k8s } from "@pulumi/kubernetes/types";
import { z } from "zod";
import { type PlatformConfig } from "../config/load";
import { type ResolvedPool } from "../config/nodePools";
import { type ResolvedTeam } from "../config/teams";
import { nodeHourly } from "../cost/prices";
import { teamSubjects } from "./tenancy";
import { FORMAT_ANNOTATION, MANAGED_BY, TEAM_LABEL } from "../config/wire";

export const FACTS = {
  configMap: "ray-platform-facts",
  /** The tutorial notebooks, for clusters the client creates with tutorials. */
  tutorialsConfigMap: "ray-platform-tutorials",
  /** In every team namespace: the team's own facts. */
  teamConfigMap: "ray-platform-team",
  key: "facts.json",
  format: "ray-platform/facts",
  teamFormat: "ray-platform/team-facts",
  version: 1,
  readerRole: "ray-platform:facts-reader",
} as const;

const poolSchema = z.object({
  name: z.string(),
  role: z.enum(["system", "ray-head", "ray-worker"]),
  machineType: z.string().optional(),
  minNodes: z.number(),
  maxNodes: z.number(),
  spot: z.boolean(),
  gpu: z.object({ type: z.string(), gkeType: z.string(), count: z.number() }).optional(),
  capacity: z.object({ cpu: z.number(), memoryGi: z.number() }).optional(),
  /** One node's price an hour in USD, machine and GPUs, from data/gke-prices.yaml for the stack's region; absent in mode existing. */
  nodeHourly: z.number().optional(),
  selector: z.record(z.string(), z.string()),
  taints: z.array(z.object({ key: z.string(), value: z.string(), effect: z.literal("NoSchedule") })),
});

export const factsSchema = z.object({
  format: z.literal(FACTS.format),
  version: z.literal(FACTS.version),
  mode: z.enum(["gke", "existing"]),
  operatorNamespace: z.string(),
  kuberayVersion: z.string(),
  imageRegistry: z.string(),
  rayImages: z.object({
    repository: z.string(),
    python: z.string(),
    vscodeImage: z.string(),
    default: z.string(),
    versions: z.array(z.string()),
  }),
  defaultRayVersion: z.string(),
  /** GPU types offered, by friendly name, smallest GPU memory first (the first is the client's default). */
  gpuTypes: z.array(z.object({ type: z.string(), gkeType: z.string(), memoryGb: z.number() })),
  /** Sorted by name. */
  pools: z.array(poolSchema),
});

export const teamFactsSchema = z.object({
  format: z.literal(FACTS.teamFormat),
  version: z.literal(FACTS.version),
  team: z.string(),
  /** The team file's name (`recsys.yaml`), in the platform repository's teams directory. */
  file: z.string(),
  serviceAccountName: z.string(),
  bucket: z.string().optional(),
  /** RayClusters the team file declares: the program's, never the client's to change. */
  rayClusters: z.array(z.string()),
});

export type PlatformFacts = z.infer<typeof factsSchema>;
export type TeamFacts = z.infer<typeof teamFactsSchema>;

/** The platform's facts: independent of teams, so adding a team changes nothing here. */
export function platformFacts(cfg: PlatformConfig): PlatformFacts {
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    format: FACTS.format,
    version: FACTS.version,
    mode: cfg.mode,
    operatorNamespace: cfg.kuberay.namespace,
    kuberayVersion: cfg.kuberay.version,
    imageRegistry: cfg.imageRegistry,
    rayImages: { ...cfg.catalog.rayImages, versions: [...cfg.catalog.rayImages.versions] },
    defaultRayVersion: cfg.defaultRayVersion,
    gpuTypes: Object.entries(cfg.gpuTypes)
      .map(([type, gkeType]) => ({ type, gkeType, memoryGb: cfg.catalog.accelerators[type]?.memoryGb ?? 0 }))
      .sort((a, b) => a.memoryGb - b.memoryGb || (a.type < b.type ? -1 : 1)),
    pools: [...cfg.pools].sort(byName).map((p) => ({
      name: p.name,
      role: p.role,
      machineType: p.machineType,
      minNodes: p.minNodes,
      maxNodes: p.maxNodes,
      spot: p.spot,
      gpu: p.gpu && { ...p.gpu },
      capacity: p.capacity && { ...p.capacity },
      nodeHourly:
        cfg.mode === "gke" && p.machineType
          ? nodeHourly(cfg.prices, {
              machineType: p.machineType,
              gpu: p.gpu,
              spot: p.spot,
              region: cfg.gke.region,
            })
          : undefined,
      selector: { ...p.selector },
      taints: p.taints.map((t) => ({ ...t })),
    })),
  };
}

export function teamFacts(team: ResolvedTeam): TeamFacts {
  return {
    format: FACTS.teamFormat,
    version: FACTS.version,
    team: team.name,
    // The name only: the directory is a stack setting, and where it is checked out is the reader's.
    file: team.file.slice(team.file.lastIndexOf("/") + 1),
    serviceAccountName: team.serviceAccountName,
    bucket: team.bucket,
    rayClusters: team.rayClusters.map((c) => c.name).sort(),
  };
}

/** Pools as resolving a RayCluster takes them (config/rayClusters.ts), from the published facts. */
export function poolsFromFacts(facts: PlatformFacts): ResolvedPool[] {
  return facts.pools.map((p) => ({ ...p, zones: [], diskSizeGb: 0, diskType: "", nodeLabels: {} }));
}

const labels = { ...MANAGED_BY };

export function factsConfigMap(facts: PlatformFacts): k8s.core.v1.ConfigMap {
  return {
    metadata: {
      name: FACTS.configMap,
      namespace: facts.operatorNamespace,
      labels,
      annotations: { [FORMAT_ANNOTATION]: `${FACTS.format}/v${FACTS.version}` },
    },
    data: { [FACTS.key]: JSON.stringify(facts, null, 2) },
  };
}

/**
 * In the team's namespace, where its members can edit ConfigMaps: these facts only steer the
 * client (which clusters it leaves alone, which bucket and service account a cluster uses),
 * and a member could do by hand whatever a changed copy would make the client do.
 */
export function teamFactsConfigMap(team: ResolvedTeam): k8s.core.v1.ConfigMap {
  return {
    metadata: {
      name: FACTS.teamConfigMap,
      namespace: team.name,
      labels: { [TEAM_LABEL]: team.name, ...MANAGED_BY },
    },
    data: { [FACTS.key]: JSON.stringify(teamFacts(team), null, 2) },
  };
}

export function tutorialsConfigMap(
  namespace: string,
  notebooks: Readonly<Record<string, string>>,
): k8s.core.v1.ConfigMap {
  return { metadata: { name: FACTS.tutorialsConfigMap, namespace, labels }, data: { ...notebooks } };
}

/** Read the shared ConfigMaps above, by name, and nothing else in the operator namespace. */
export function factsReaderRole(namespace: string): k8s.rbac.v1.Role {
  return {
    metadata: { name: FACTS.readerRole, namespace, labels },
    rules: [
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: [FACTS.configMap, FACTS.tutorialsConfigMap],
        verbs: ["get"],
      },
    ],
  };
}

/** One binding per team, named after it (adding a team touches no other team's object). */
export function factsReaderBinding(team: ResolvedTeam, namespace: string): k8s.rbac.v1.RoleBinding {
  return {
    metadata: { name: `team-${team.name}`, namespace, labels: { [TEAM_LABEL]: team.name, ...MANAGED_BY } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: FACTS.readerRole },
    subjects: teamSubjects(team),
  };
}
