/**
 * Bad input, kind by kind: each gets a message naming the file, line, column and field, what
 * was found and what to do. These run the loader alone; program.test.ts ("registers nothing
 * and names the file, line and field") shows that the program registers nothing when one is present.
 */
import { describe, expect, test } from "vitest";
import { defined } from "./defined";
import { configProblems, fixtureText, GOOD_TEAM, teamProblems, teamsDir } from "./mocks";

const GOOD = GOOD_TEAM;

describe("team files", () => {
  test("the example team is valid (the baseline every case below breaks)", () => {
    expect(teamProblems(GOOD)).toEqual([]);
  });

  test("YAML that does not parse", () => {
    const problems = teamProblems(GOOD.replace("  cpu: 64", "  cpu: [64"));
    expect(problems[0]).toMatch(/^teams\/vision\.yaml:\d+:\d+: .*fix the YAML syntax/);
  });

  test("a key written twice", () => {
    expect(teamProblems(GOOD.replace("  cpu: 64\n", "  cpu: 64\n  cpu: 32\n"))).toEqual([
      "teams/vision.yaml:7:3: a key appears twice in the same mapping; keep one; fix the YAML syntax (a linter such as yamllint shows it too).",
    ]);
  });

  test("an unknown key (a typo) names the closest allowed key", () => {
    expect(teamProblems(GOOD.replace("        maxReplicas: 2", "        maxReplica: 2"))).toEqual([
      'teams/vision.yaml:16:9 rayClusters[0].workerGroups[0].maxReplica: unknown key "maxReplica"; did you mean "maxReplicas"? Allowed keys: name, cpu, memory, pool, rayStartParams, rayResources, gpu, replicas, minReplicas, maxReplicas.',
    ]);
  });

  test("an empty file", () => {
    expect(teamProblems("# nothing yet\n")).toEqual([
      "teams/vision.yaml: is empty; write the team's settings (copy teams/ray-playground.yaml as a start) or delete the file.",
    ]);
  });

  test("a file that is not UTF-8", () => {
    const latin1 = Buffer.concat([
      Buffer.from("name: vision\ndescription: "),
      Buffer.from([0xe9, 0x74, 0xe9]),
      Buffer.from("\n"),
    ]);
    expect(teamProblems(latin1)).toEqual([
      "teams/vision.yaml:2:14: is not valid UTF-8; save the file as UTF-8.",
    ]);
  });

  test("a file over the size limit", () => {
    const problems = teamProblems(GOOD + `# ${"x".repeat(300 * 1024)}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^teams\/vision\.yaml: the file has \d+ bytes, more than the 262144 a team file may have; split it/,
    );
  });

  test("a YAML alias bomb", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      ...["b", "c", "d", "e", "f", "g"].map(
        (k, i) =>
          `${k}: &${k} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(", ")}]`,
      ),
    ].join("\n");
    expect(teamProblems(`${bomb}\n`)[0]).toMatch(
      /^teams\/vision\.yaml:2:8: Excessive alias count .*; write the values out instead of using YAML anchors and aliases\.$/,
    );
  });

  test("a quantity in the wrong unit", () => {
    expect(teamProblems(GOOD.replace("memory: 256Gi", "memory: 256GB"))).toEqual([
      'teams/vision.yaml:7:11 quota.memory: "256GB" is not a valid memory quantity; write 256Gi, or 256G (Kubernetes units: Ki Mi Gi Ti are powers of 2, k M G T powers of 10).',
    ]);
  });

  test("a GPU type the stack does not offer", () => {
    expect(teamProblems(GOOD.replace("gpu: { type: t4 }", "gpu: { type: a100-80gb }"))).toEqual([
      'teams/vision.yaml:14:22 rayClusters[0].workerGroups[0].gpu.type: "a100-80gb" is not offered by this stack (offered: t4, a100); pick an offered type, or add an a100-80gb pool to ray-platform:nodePools.',
    ]);
  });

  test("a team name Kubernetes refuses, and a file named differently", () => {
    expect(teamProblems(GOOD.replace("name: vision", "name: Vision_Team"))).toEqual([
      'teams/vision.yaml:1:7 name: "Vision_Team" is not a valid Kubernetes name; use lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. "vision-team"). The team name is its namespace.',
    ]);
    expect(teamProblems(GOOD, "computer-vision.yaml")).toEqual([
      'teams/computer-vision.yaml:1:7 name: the team is named "vision" but its file is computer-vision.yaml; the file name must be the team name, rename one of them.',
    ]);
  });

  test("a team named like a system namespace", () => {
    expect(teamProblems(GOOD.replace("name: vision", "name: kube-system"), "kube-system.yaml")).toEqual([
      'teams/kube-system.yaml:1:7 name: "kube-system" is a system or platform namespace (default, kube-*, gke-*, kuberay-system, kueue-system, gke-gmp-system, gmp-system, gmp-public, kube-system, kube-public, kube-node-lease); pick another team name.',
    ]);
  });

  test("owners missing", () => {
    expect(teamProblems(GOOD.replace("owners:\n  - user:ana@example.com\n", ""))).toEqual([
      "teams/vision.yaml:1:1 owners: is required but missing; add it (expected a list (lines starting with -)).",
    ]);
  });

  test("a member that is not an email, and one that does not say user or group", () => {
    expect(
      teamProblems(GOOD.replace("  - user:ana@example.com", "  - user:ana\n  - ana@example.com")),
    ).toEqual([
      'teams/vision.yaml:4:5 owners[0]: "user:ana" is not a member; write user:<email> or group:<email>, e.g. user:alice@example.com.',
      'teams/vision.yaml:5:5 owners[1]: "ana@example.com" does not say whether it is a user or a group; write user:ana@example.com or group:ana@example.com.',
    ]);
  });

  test("a Google group while the stack has no Google Groups for RBAC", () => {
    const dir = teamsDir({ "vision.yaml": GOOD.replace("user:ana@example.com", "group:vision@example.com") });
    const gke = { clusterName: "ray-dev", zones: ["us-central1-a", "us-central1-c", "us-central1-f"] };
    expect(configProblems({ teams: dir, overrides: { "ray-platform:gke": gke } })).toContain(
      'teams/vision.yaml:4:5 owners[0]: "group:vision@example.com" is a Google group, but the stack has no gke.securityGroup, so GKE would ignore it; set gke.securityGroup (Google Groups for RBAC) or list users.',
    );
  });

  test("a RayCluster name longer than 53 characters, and one that is not DNS-1035", () => {
    const long = "detector-" + "x".repeat(50);
    expect(teamProblems(GOOD.replace("name: detector", `name: ${long}`))).toEqual([
      `teams/vision.yaml:11:11 rayClusters[0].name: "${long}" has 59 characters; KubeRay allows at most 53 for a RayCluster name. Shorten it.`,
    ]);
    expect(teamProblems(GOOD.replace("name: detector", "name: 2d-detector"))).toEqual([
      'teams/vision.yaml:11:11 rayClusters[0].name: "2d-detector" is not a valid name; use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. "d-detector").',
    ]);
  });

  test("two RayClusters with one name, and two worker groups with one name", () => {
    const twice = GOOD + GOOD.slice(GOOD.indexOf("  - name: detector"));
    expect(teamProblems(twice)).toEqual([
      'teams/vision.yaml:17:11 rayClusters[1].name: RayCluster "detector" is already defined at rayClusters[0]; names must be unique in the namespace, rename one.',
    ]);
    const groups =
      GOOD + "      - name: t4\n        cpu: 2\n        memory: 8Gi\n        gpu: { type: t4 }\n";
    expect(teamProblems(groups)).toEqual([
      'teams/vision.yaml:17:15 rayClusters[0].workerGroups[1].name: worker group "t4" is already defined at workerGroups[0]; group names must be unique in a cluster, rename one.',
    ]);
  });

  test("minReplicas above maxReplicas, and replicas outside the bounds", () => {
    expect(teamProblems(GOOD.replace("minReplicas: 0", "minReplicas: 3"))).toEqual([
      "teams/vision.yaml:15:22 rayClusters[0].workerGroups[0].minReplicas: 'minReplicas' (3) must be less than or equal to 'maxReplicas' (2); lower minReplicas or raise maxReplicas.",
    ]);
    // An autoscaled group (min < max): replicas is not for it, whatever its value.
    expect(teamProblems(GOOD.replace("minReplicas: 0", "replicas: 5\n        minReplicas: 0"))).toEqual([
      "teams/vision.yaml:15:19 rayClusters[0].workerGroups[0].replicas: is for fixed-size groups; with minReplicas (0) below maxReplicas (2) the autoscaler owns the worker count and the group starts at minReplicas. Remove replicas, or make the group fixed with minReplicas and maxReplicas 5.",
    ]);
    // A fixed-size group given as min = max: replicas must equal them.
    expect(teamProblems(GOOD.replace("minReplicas: 0", "replicas: 5\n        minReplicas: 2"))).toEqual([
      "teams/vision.yaml:15:19 rayClusters[0].workerGroups[0].replicas: 'replicas' (5) must be between 'minReplicas' (2) and 'maxReplicas' (2); change replicas or the bounds.",
    ]);
  });

  test("a negative count", () => {
    expect(teamProblems(GOOD.replace("maxReplicas: 2", "maxReplicas: -1"))).toEqual([
      "teams/vision.yaml:16:22 rayClusters[0].workerGroups[0].maxReplicas: -1 is too small: replicas must be at least 0.",
    ]);
  });

  test("rayStartParams: more than the container has, Ray resources set twice, labels, and the platform's ports", () => {
    const withParams = (params: string, extra = "") =>
      GOOD.replace(
        "        gpu: { type: t4 }",
        `        gpu: { type: t4 }${extra}\n        rayStartParams:\n${params}`,
      );
    expect(teamProblems(withParams('          num-gpus: "2"'))).toEqual([
      "teams/vision.yaml:16:21 rayClusters[0].workerGroups[0].rayStartParams.num-gpus: tells Ray it has 2 GPUs, but its container has 1; Ray would schedule work that cannot run. Ask for at most 1, or give the group more.",
    ]);
    expect(teamProblems(withParams('          num-cpus: "4"', "\n        rayResources: { CPU: 4 }"))).toEqual(
      [
        'teams/vision.yaml:17:21 rayClusters[0].workerGroups[0].rayStartParams.num-cpus: "num-cpus" next to rayResources: KubeRay refuses resource settings in both places; keep one of them.',
      ],
    );
    expect(teamProblems(withParams('          labels: "a=b"\n          port: "6380"'))).toEqual([
      "teams/vision.yaml:16:19 rayClusters[0].workerGroups[0].rayStartParams.labels: KubeRay refuses rayStartParams.labels; remove it.",
      "teams/vision.yaml:17:17 rayClusters[0].workerGroups[0].rayStartParams.port: is set by the platform (its Services, NetworkPolicies and notebook rely on it); remove it.",
    ]);
  });

  test("rayStartParams may ask Ray for less than the container has (no tasks on the head)", () => {
    expect(
      teamProblems(
        GOOD.replace(
          "  - name: detector",
          '  - name: detector\n    head:\n      cpu: 4\n      memory: 16Gi\n      rayStartParams: { num-cpus: "0" }',
        ),
      ),
    ).toEqual([]);
  });

  test("more GPUs per worker than a node has, and more CPU than a node gives", () => {
    expect(teamProblems(GOOD.replace("gpu: { type: t4 }", "gpu: { type: t4, count: 2 }"))).toEqual([
      'teams/vision.yaml:14:33 rayClusters[0].workerGroups[0].gpu.count: 2 t4 GPUs do not fit one node of pool "t4", which has 1; ask for at most 1 or use a pool with bigger nodes.',
    ]);
    expect(
      teamProblems(GOOD.replace("        gpu: { type: t4 }", "        gpu: { type: t4 }\n        cpu: 32")),
    ).toEqual([
      'teams/vision.yaml:15:14 rayClusters[0].workerGroups[0].cpu: the worker pod needs 32 CPUs (with its sidecars) but one node of pool "t4" gives at most 15 CPUs; ask for less or use a pool with bigger nodes.',
    ]);
  });

  test("a quota that cannot hold the team's smallest RayCluster when it is created", () => {
    const text = GOOD.replace("    t4: 4", "    t4: 4\n    a100: 1")
      .replace("gpu: { type: t4 }", "gpu: { type: a100 }")
      .replace("minReplicas: 0", "minReplicas: 2");
    expect(teamProblems(text)).toEqual([
      'teams/vision.yaml:10:11 quota.gpus.a100: cannot hold even the team\'s smallest RayCluster, "detector", which needs 2 a100 GPUs (quota: 1 a100 GPUs) when created: it would only ever run on quota borrowed from other teams, and be preempted when they take it back. Raise quota.gpus.a100 or make the cluster smaller.',
    ]);
  });

  test("a RayCluster whose maximum size is above quota plus borrowing", () => {
    const text = GOOD.replace("cpu: 64", "cpu: 200")
      .replace("memory: 256Gi", "memory: 800Gi")
      .replace("maxReplicas: 2", "maxReplicas: 6");
    expect(teamProblems(text)).toEqual([
      'teams/vision.yaml:11:11 rayClusters[0].name: "detector" at maxReplicas asks for 6 t4 GPUs, above quota.gpus.t4 (4); Kueue could never admit it at that size. Lower maxReplicas or raise quota.gpus.t4 (or borrow: quota.borrowing.gpus.t4).',
    ]);
    // Borrowing raises what Kueue can admit: 4 + 2 t4 GPUs hold 6 workers (the other teams lend 10).
    expect(
      teamProblems(text.replace("    t4: 4\n", "    t4: 4\n  borrowing:\n    gpus: { t4: 2 }\n")),
    ).toEqual([]);
  });

  test("RayClusters that together ask for more than the quota are queued, not refused", () => {
    // Two clusters of 3 T4 workers each: 6 T4s together, 4 in the quota; each fits alone.
    const three = (text: string) =>
      text.replace("minReplicas: 0", "minReplicas: 3").replace("maxReplicas: 2", "maxReplicas: 3");
    const two =
      three(GOOD.replace("cpu: 64", "cpu: 200").replace("memory: 256Gi", "memory: 800Gi")) +
      three(defined(GOOD.split("rayClusters:\n")[1], "GOOD's rayClusters").replace("detector", "segmenter"));
    expect(two).toContain("segmenter");
    expect(teamProblems(two)).toEqual([]);
  });

  test("a GPU type in the quota that no pool offers", () => {
    expect(teamProblems(GOOD.replace("    t4: 4", "    t4: 4\n    a100-80gb: 2"))).toEqual([
      'teams/vision.yaml:10:5 quota.gpus.a100-80gb: "a100-80gb" is not a GPU this stack offers (offered: t4, a100); remove it or add an a100-80gb pool to ray-platform:nodePools.',
    ]);
  });

  test("one cause, one message: a version too old or without images does not also fail the notebook", () => {
    const withNotebook = (version: string, extra = "") =>
      GOOD.replace(
        "  - name: detector",
        `  - name: detector\n    rayVersion: "${version}"\n    notebook: true${extra}`,
      );
    expect(teamProblems(withNotebook("2.50"))).toEqual([
      "teams/vision.yaml:12:17 rayClusters[0].rayVersion: Ray 2.50 has no token authentication, which every cluster has (KubeRay refuses authOptions below Ray 2.52.0); use Ray 2.52.0 or later.",
    ]);
    expect(teamProblems(withNotebook("2.52.1")).map((p) => p.split(" ")[1])).toEqual([
      "rayClusters[0].rayVersion:",
    ]);
    // With a custom image the version is fine for Ray, but the notebook has no "-extra" image to use.
    expect(teamProblems(withNotebook("2.52.1", "\n    image: registry.example.com/ray:2.52.1"))).toEqual([
      'teams/vision.yaml:13:15 rayClusters[0].notebook: the notebook server uses the rayproject/ray "-extra" image of the cluster\'s Ray version, and Ray 2.52.1 is not in data/ray-images.yaml; use a listed version or turn the notebook off.',
    ]);
  });

  test("a Ray version without an image", () => {
    expect(
      teamProblems(GOOD.replace("  - name: detector", "  - name: detector\n    rayVersion: 2.52.1")),
    ).toEqual([
      "teams/vision.yaml:12:17 rayClusters[0].rayVersion: Ray 2.52.1 has no image the platform knows; use one of 2.52.0, 2.53.0, 2.54.1, 2.55.1, 2.56.0, 2.57.0, 2.58.0 (did you mean 2.52.0?), set image, or add the version to data/ray-images.yaml.",
    ]);
  });

  test("a list where the team's settings should be, and two documents in one file", () => {
    expect(teamProblems("- name: vision\n")).toEqual([
      "teams/vision.yaml:1:1: must be a mapping of team settings (name, description, owners, quota, ...), not a list; see teams/ray-playground.yaml.",
    ]);
    expect(teamProblems(`${GOOD}---\n${GOOD}`)[0]).toMatch(
      /^teams\/vision\.yaml:\d+:1: Source contains multiple documents/,
    );
  });

  test("every problem in every file is reported at once", () => {
    const dir = teamsDir({
      "vision.yaml": GOOD.replace("cpu: 64", "cpu: lots"),
      "audio.yaml": GOOD.replace("name: vision", "name: audio").replace("maxReplicas: 2", "maxReplicas: -2"),
    });
    expect(configProblems({ teams: dir })).toEqual([
      "teams/audio.yaml:16:22 rayClusters[0].workerGroups[0].maxReplicas: -2 is too small: replicas must be at least 0.",
      'teams/vision.yaml:6:8 quota.cpu: "lots" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
    ]);
  });
});

describe("stack config (Pulumi.<stack>.yaml)", () => {
  const DEV = fixtureText("Pulumi.dev.yaml");
  /** Problems of the dev stack with `from` replaced by `to` in its stack file. */
  const stackProblems = (from: string, to: string) => {
    expect(DEV).toContain(from);
    return configProblems({ fixture: true, stackFileText: DEV.replace(from, to) });
  };
  const T4_POOL = "      machineType: n1-standard-16\n      gpu: { type: t4, count: 1 }";

  test("the dev stack and its fixture copy are valid", () => {
    expect(configProblems()).toEqual([]);
    expect(configProblems({ fixture: true })).toEqual([]);
  });

  test("a T4 pool on a machine type that cannot carry it", () => {
    expect(
      stackProblems(T4_POOL, "      machineType: n2-standard-16\n      gpu: { type: t4, count: 1 }"),
    ).toEqual([
      "Pulumi.dev.yaml:36:20 ray-platform:nodePools[3].machineType: n2-standard-16 cannot carry t4 GPUs; t4 needs n1-standard-*, n1-highmem-*, n1-highcpu-*. Change machineType or gpu.type.",
    ]);
  });

  test("a GPU count the machine type does not have", () => {
    expect(stackProblems("      gpu: { type: a100 }", "      gpu: { type: a100, count: 2 }")).toEqual([
      "Pulumi.dev.yaml:43:33 ray-platform:nodePools[4].gpu.count: a2-highgpu-1g has exactly 1 GPU(s), not 2; remove gpu.count or pick the a2 type with 2 GPUs.",
    ]);
    expect(stackProblems("gpu: { type: t4, count: 1 }", "gpu: { type: t4, count: 3 }")).toEqual([
      "Pulumi.dev.yaml:37:31 ray-platform:nodePools[3].gpu.count: t4 nodes take 1, 2, 4 GPUs, not 3; pick one of those.",
    ]);
  });

  test("a zone that does not offer the accelerator", () => {
    const text =
      "      machineType: a2-ultragpu-1g\n      gpu: { type: a100-80gb }\n      zones: [us-central1-a, us-central1-f]";
    expect(stackProblems("      machineType: a2-highgpu-1g\n      gpu: { type: a100 }", text)).toEqual([
      "Pulumi.dev.yaml:44:14 ray-platform:nodePools[4].zones: us-central1-f does not offer a100-80gb (offered in us-central1: us-central1-a, us-central1-c); remove it.",
    ]);
  });

  test("an unknown machine type family", () => {
    expect(stackProblems("machineType: e2-standard-4", "machineType: m9-superfast-4")).toEqual([
      'Pulumi.dev.yaml:20:20 ray-platform:nodePools[0].machineType: unknown machine type family in "m9-superfast-4"; use one of n1-standard, n1-highmem, n1-highcpu, n2-standard, n2-highmem, n2-highcpu, n2d-standard, e2-standard, e2-highmem, c3-standard (as <family>-<vCPUs>, e.g. n1-standard-16) or an A2 type (a2-highgpu-1g, a2-highgpu-2g, a2-highgpu-4g, a2-highgpu-8g, a2-megagpu-16g, a2-ultragpu-1g, a2-ultragpu-2g, a2-ultragpu-4g, a2-ultragpu-8g), or add the family to data/gke-machine-types.yaml.',
    ]);
  });

  test("minNodes above maxNodes, and a GPU pool that does not scale to zero", () => {
    expect(
      stackProblems("      minNodes: 1\n      maxNodes: 3", "      minNodes: 4\n      maxNodes: 3"),
    ).toEqual([
      "Pulumi.dev.yaml:21:17 ray-platform:nodePools[0].minNodes: 'minNodes' (4) must be less than or equal to 'maxNodes' (3); lower minNodes or raise maxNodes.",
    ]);
    expect(
      stackProblems(
        "      gpu: { type: a100 }\n      minNodes: 0",
        "      gpu: { type: a100 }\n      minNodes: 1",
      ),
    ).toEqual([
      "Pulumi.dev.yaml:44:17 ray-platform:nodePools[4].minNodes: GPU pools must scale to zero so idle GPUs cost nothing; set minNodes: 0 (was 1).",
    ]);
  });

  test("duplicated pool names", () => {
    expect(stackProblems("    - name: a100", "    - name: t4")).toEqual([
      'Pulumi.dev.yaml:41:13 ray-platform:nodePools[4].name: pool name "t4" is already used by ray-platform:nodePools[3]; pool names must be unique, rename one.',
    ]);
  });

  test("mode existing without a kubeconfig context", () => {
    expect(stackProblems("config:\n", "config:\n  ray-platform:mode: existing\n")).toEqual([
      "Pulumi.dev.yaml:4:3 ray-platform:kubeconfigContext: is required in mode existing; set it to the kubeconfig context of the cluster (e.g. `pulumi config set kubeconfigContext kind-ray`).",
      "Pulumi.dev.yaml:8:5 ray-platform:gke: is for gke mode; remove it, or set ray-platform:mode to gke.",
    ]);
  });

  test("an unknown ray-platform key", () => {
    expect(stackProblems("  ray-platform:kuberay:", "  ray-platform:kuberey:")).toEqual([
      'Pulumi.dev.yaml:46:3 ray-platform:kuberey: unknown key "ray-platform:kuberey"; did you mean "ray-platform:kuberay"? Known keys: ray-platform:mode, ray-platform:kubeconfigContext, ray-platform:teamsDir, ray-platform:monitoringNamespace, ray-platform:maxCostIncrease, ray-platform:gke, ray-platform:nodePools, ray-platform:kuberay, ray-platform:ray, ray-platform:kueue.',
    ]);
  });

  test("a KubeRay version whose CRDs are not pinned in the repo", () => {
    expect(stackProblems("    version: 1.7.0", "    version: 1.8.0")).toEqual([
      'Pulumi.dev.yaml:47:14 ray-platform:kuberay.version: KubeRay "1.8.0" has no CRDs pinned in data/kuberay/ (pinned: 1.7.0); run `npm run kuberay:pin -- 1.8.0` to add data/kuberay/1.8.0/crds from the release, review and commit them, or use a pinned version.',
    ]);
  });

  test("a control plane range that is not a /28, and ranges that overlap", () => {
    expect(
      stackProblems(
        "    securityGroup: gke-security-groups@example.com",
        "    securityGroup: gke-security-groups@example.com\n    masterIpv4CidrBlock: 10.10.4.0/24",
      ),
    ).toEqual([
      'Pulumi.dev.yaml:16:26 ray-platform:gke.masterIpv4CidrBlock: "10.10.4.0/24" is not a /28; GKE needs exactly 16 addresses for the control plane, e.g. 172.16.0.0/28.',
      "Pulumi.dev.yaml:16:26 ray-platform:gke.masterIpv4CidrBlock: 10.10.4.0/24 overlaps gke.network.nodesCidr (10.10.0.0/20); pick ranges that do not overlap.",
    ]);
  });

  test("a zone listed twice, and a pool name that starts with a digit", () => {
    expect(
      stackProblems(
        "zones: [us-central1-a, us-central1-c, us-central1-f]",
        "zones: [us-central1-a, us-central1-c, us-central1-a]",
      ),
    ).toEqual([
      'Pulumi.dev.yaml:9:43 ray-platform:gke.zones[2]: "us-central1-a" is listed twice; remove one.',
    ]);
    expect(stackProblems("    - name: a100", "    - name: 8x-a100")).toEqual([
      'Pulumi.dev.yaml:41:13 ray-platform:nodePools[4].name: "8x-a100" is not a valid name; use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. "x-a100").',
    ]);
  });

  test("a zone outside the region", () => {
    expect(
      stackProblems(
        "zones: [us-central1-a, us-central1-c, us-central1-f]",
        "zones: [us-central1-a, europe-west4-a]",
      ),
    ).toEqual([
      'Pulumi.dev.yaml:9:28 ray-platform:gke.zones[1]: "europe-west4-a" is not a zone of gcp:region us-central1; use zones such as us-central1-a.',
    ]);
  });
});
