/**
 * ray-platform: the Pulumi program. This is the only place that reads Pulumi config. Files are
 * read only while the configuration loads: the stack file here, and in config/ the team files,
 * data/ (catalogs, prices, pinned CRDs), a local chart's Chart.yaml and the tutorials. Everything
 * is validated first; only a configuration without a single problem reaches the components,
 * which (like render/) read no file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./config/errors";
import { loadPlatformConfig, PLATFORM_CONFIG, type PlatformConfig } from "./config/load";
import { Platform } from "./components/platform";

function loadConfig(): PlatformConfig {
  const stack = pulumi.getStack();
  // Read only to point error messages at lines; the values come from Pulumi.
  const stackFile = path.join(__dirname, `Pulumi.${stack}.yaml`);
  try {
    return loadPlatformConfig({
      stack,
      config: pulumi.runtime.allConfig(),
      stackFileText: fs.existsSync(stackFile) ? fs.readFileSync(stackFile, "utf8") : undefined,
      projectDir: __dirname,
    });
  } catch (err) {
    // A RunError is printed as its message alone: the list of problems, no stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/**
 * The program; the Pulumi runtime awaits it and takes what it returns as the stack's outputs.
 * The configuration goes back under a symbol key, which is no output: the plan reads it.
 */
export = async () => {
  const config = loadConfig();
  const platform = await Platform.create("ray-platform", config);
  return {
    mode: config.mode,
    cluster:
      config.mode === "existing"
        ? { context: config.kubeconfigContext }
        : platform.gke && {
            name: platform.gke.cluster.name,
            endpoint: platform.gke.cluster.endpoint,
            location: platform.gke.cluster.location,
          },
    kubeconfig: platform.gke?.kubeconfig,
    /** Prefix of Ray images: Artifact Registry's Docker Hub proxy in gke mode. */
    imagePrefix: config.imageRegistry,
    nodePools: config.pools.map((p) => ({
      name: p.name,
      role: p.role,
      machineType: p.machineType,
      gpu: p.gpu ? { type: p.gpu.type, acceleratorType: p.gpu.gkeType, perNode: p.gpu.count } : undefined,
      minNodes: p.minNodes,
      maxNodes: p.maxNodes,
      spot: p.spot,
      zones: p.zones,
      /** What one Ray pod may request to have a node to itself. */
      podCapacity: p.capacity,
    })),
    kuberayVersion: config.kuberay.version,
    teams: Object.fromEntries(
      config.teams.map((t) => [
        t.name,
        { namespace: t.name, bucket: t.bucket, rayClusters: t.rayClusters.map((c) => c.name) },
      ]),
    ),
    /** What the program skipped on purpose (e.g. buckets in mode existing). */
    notes: config.notes,
    [PLATFORM_CONFIG]: config,
  };
};
