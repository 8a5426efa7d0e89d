/**
 * Team-file mistakes a data scientist makes, all in one run, with the right suggestion; and
 * what Kubernetes or GCS would refuse, refused here (issue 12).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { ConfigError } from "../config/errors";
import { canonicalMemory, normalizedQuantity, parseQuantity } from "../config/quantity";
import { defined, only } from "./defined";
import { configProblems, GOOD_TEAM, loadConfig, PROJECT_DIR, teamProblems, teamsDir } from "./mocks";

const GOOD = GOOD_TEAM;

function edit(...pairs: [string, string][]): string {
  let text = GOOD;
  for (const [from, to] of pairs) {
    if (!text.includes(from)) throw new Error(`GOOD has no ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

test("five independent mistakes in one team file are five problems in one run, counted right", () => {
  const text = edit(
    ["  memory: 256Gi", "  memory: 256GB"],
    ["    t4: 4", "    A100: 4"],
    ["  - name: detector", "  - name: Detector"],
    ["        maxReplicas: 2", "        maxReplica: 2"],
    ["  - user:ana@example.com", "  - ana@example.com"],
  );
  expect(teamProblems(text)).toEqual([
    'teams/vision.yaml:4:5 owners[0]: "ana@example.com" does not say whether it is a user or a group; write user:ana@example.com or group:ana@example.com.',
    'teams/vision.yaml:7:11 quota.memory: "256GB" is not a valid memory quantity; write 256Gi, or 256G (Kubernetes units: Ki Mi Gi Ti are powers of 2, k M G T powers of 10).',
    'teams/vision.yaml:9:5 quota.gpus.A100: "A100" is not a GPU this stack offers (offered: t4, a100); GPU types are lower case: write a100.',
    'teams/vision.yaml:11:11 rayClusters[0].name: "Detector" is not a valid name; use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. "detector").',
    'teams/vision.yaml:16:9 rayClusters[0].workerGroups[0].maxReplica: unknown key "maxReplica"; did you mean "maxReplicas"? Allowed keys: name, cpu, memory, pool, rayStartParams, rayResources, gpu, replicas, minReplicas, maxReplicas.',
  ]);
  // The first line counts what is listed.
  const dir = teamsDir({ "vision.yaml": text });
  let err: ConfigError | undefined;
  try {
    loadConfig({ teams: dir });
  } catch (e) {
    err = e as ConfigError;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const lines = err!.message.split("\n");
  expect(lines[0]).toBe("ray-platform: the configuration has 5 problems; nothing was changed.");
  expect(lines.length - 1).toBe(5);
});

test("a consequence of a refused field is held back: a quota check needs a quota that parsed", () => {
  expect(
    teamProblems(edit(["  cpu: 64", "  cpu: lots"], ["        maxReplicas: 2", "        maxReplicas: 200"])),
  ).toEqual([
    'teams/vision.yaml:6:8 quota.cpu: "lots" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
  ]);
});

describe("the right suggestion", () => {
  test("an upper-case GPU type suggests the offered type it means, with the right article", () => {
    expect(teamProblems(edit(["gpu: { type: t4 }", "gpu: { type: A100 }"]))).toEqual([
      'teams/vision.yaml:14:22 rayClusters[0].workerGroups[0].gpu.type: "A100" is not offered by this stack (offered: t4, a100); GPU types are lower case: write a100.',
    ]);
  });

  test("a GPU type dedented out of quota.gpus says where it goes", () => {
    expect(teamProblems(edit(["    t4: 4", "    t4: 4\n  a100: 2"]))).toEqual([
      'teams/vision.yaml:10:3 quota.a100: unknown key "a100"; a GPU quota goes under gpus: write it as quota.gpus.a100 (a "gpus:" line under quota, then "a100: <count>" indented below it).',
    ]);
  });

  test("an unquoted Ray version says to quote it", () => {
    expect(teamProblems(edit(["  - name: detector", "  - name: detector\n    rayVersion: 2.9"]))).toEqual([
      "teams/vision.yaml:12:17 rayClusters[0].rayVersion: 2.9 is a number to YAML, expected a string; quote it as written (YAML reads 2.50 as 2.5 and 2.10 as 2.1).",
    ]);
  });
});

describe("YAML syntax: one mistake, one error, at the mistake", () => {
  test("a tab used for indentation", () => {
    expect(teamProblems(edit(["  cpu: 64", "\tcpu: 64"]))).toEqual([
      "teams/vision.yaml:6:1: Tabs are not allowed as indentation; fix the YAML syntax (a linter such as yamllint shows it too).",
    ]);
  });

  test("an over-indented key is reported at its own line and column", () => {
    expect(teamProblems(edit(["  memory: 256Gi", "    memory: 256Gi"]))).toEqual([
      "teams/vision.yaml:7:5: this line is indented more than line 6, so YAML reads it as part of that line's value; if it is a key of its own, start it in column 3, under cpu of line 6.",
    ]);
  });

  test("an over-indented key under a list item is told to align with the item's key, not its dash (issue 24)", () => {
    const text = edit(["        maxReplicas: 2", "          maxReplicas: 2"]);
    const problems = teamProblems(text);
    expect(problems).toHaveLength(1);
    const problem = only(problems, "problem");
    const [, lineText, colText] = defined(/^teams\/vision\.yaml:(\d+):(\d+):/.exec(problem), "file:line:col");
    const [line, col] = [Number(lineText), Number(colText)];
    const lines = text.split("\n");
    const [, indent, key] = defined(
      /^( *(?:- +)*)(\w+):/.exec(defined(lines[line - 2], "the line above")),
      "a key on the line above",
    );
    const column = defined(indent, "the key's indentation").length + 1;
    expect(problem).toContain(
      `if it is a key of its own, start it in column ${column}, under ${key} of line ${line - 1}.`,
    );
    // Following the hint literally makes the file load.
    lines[line - 1] = `${" ".repeat(column - 1)}${defined(lines[line - 1], "the reported line").trimStart()}`;
    expect(teamProblems(lines.join("\n"))).toEqual([]);
    expect(col).toBeGreaterThan(column);
  });

  test("a GPU type the platform has never had says to add it to data/gke-accelerators.yaml before a pool (issue 24)", () => {
    const problems = teamProblems(edit(["    t4: 4", "    v100: 4"]));
    expect(problems.join("\n")).toContain('"v100" is not a GPU this stack offers');
    expect(problems.join("\n")).toContain(
      "add v100 to data/gke-accelerators.yaml (its GKE accelerator, GPU memory and zones; it lists t4, a100, a100-80gb), then a v100 pool to ray-platform:nodePools.",
    );
  });

  test("an alias without its anchor gets its line", () => {
    expect(teamProblems(edit(["    t4: 4", "    t4: *four"]))).toEqual([
      "teams/vision.yaml:9:9: the alias *four has no anchor &four before it; define the anchor first, or write the value out.",
    ]);
  });

  test("a file with CR-only line ends is read, not called empty", () => {
    expect(teamProblems(`# vision\r${GOOD.replace(/\n/g, "\r")}`)).toEqual([]);
    expect(teamProblems(`# vision\r${edit(["  cpu: 64", "  cpu: lots"]).replace(/\n/g, "\r")}`)).toEqual([
      'teams/vision.yaml:7:8 quota.cpu: "lots" is not a valid CPU quantity; write a Kubernetes quantity such as 4, 500m, 48Gi or 1Ti.',
    ]);
  });
});

describe("what Kubernetes or GCS would refuse", () => {
  test("quantities with spaces or non-breaking spaces", () => {
    expect(
      teamProblems(edit(["  cpu: 64", '  cpu: "64 "'], ["  memory: 256Gi", "  memory: 256\u00a0Gi"])),
    ).toEqual([
      'teams/vision.yaml:6:8 quota.cpu: "64 " is not a valid CPU quantity; remove the spaces: write "64".',
      'teams/vision.yaml:7:11 quota.memory: "256\u00a0Gi" is not a valid memory quantity; remove the spaces: write "256Gi".',
    ]);
  });

  test("integers above int32 where the CRD says format: int32, and absurd quotas", () => {
    expect(
      teamProblems(
        edit(["        maxReplicas: 2", "        maxReplicas: 3000000000"], ["  cpu: 64", "  cpu: 1e300"]),
      ),
    ).toEqual([
      "teams/vision.yaml:6:8 quota.cpu: 1e+300 is not a valid CPU quantity; that is more than any cluster has (at most 9007199254740992); write the real figure.",
      "teams/vision.yaml:16:22 rayClusters[0].workerGroups[0].maxReplicas: 3000000000 is too large: Kubernetes stores replicas as a 32-bit integer (at most 2147483647); use a smaller number.",
    ]);
    expect(
      teamProblems(
        edit([
          "  - name: detector",
          "  - name: detector\n    autoscaler: { idleTimeoutSeconds: 3000000000 }",
        ]),
      ),
    ).toEqual([
      "teams/vision.yaml:12:39 rayClusters[0].autoscaler.idleTimeoutSeconds: 3000000000 is too large: Kubernetes stores seconds as a 32-bit integer (at most 2147483647); use a smaller number.",
    ]);
  });

  test("a bucket name GCS refuses (containing google)", () => {
    const dir = teamsDir({
      "google-ads.yaml": edit(["name: vision", "name: google-ads"], ["quota:", "bucket: true\nquota:"]),
    });
    expect(configProblems({ teams: dir })).toEqual([
      'teams/google-ads.yaml:5:9 bucket: the bucket name "my-ml-platform-dev-ray-google-ads" contains "google" (or starts with "goog"), which GCS refuses; rename the team or turn the bucket off.',
    ]);
  });

  test("rayStartParams keys that differ only in case or spaces from reserved ones", () => {
    expect(
      teamProblems(
        edit([
          "        maxReplicas: 2",
          '        maxReplicas: 2\n        rayStartParams: { "Num-CPUs": "1", " port": "1" }',
        ]),
      ),
    ).toEqual([
      'teams/vision.yaml:17:39 rayClusters[0].workerGroups[0].rayStartParams.Num-CPUs: "Num-CPUs" is not a ray start flag name; it is "num-cpus" written differently, which goes in the group\'s cpu, memory or gpu: write it as num-cpus (lowercase, words joined by "-") or remove it.',
      'teams/vision.yaml:17:53 rayClusters[0].workerGroups[0].rayStartParams. port: " port" is not a ray start flag name; it is "port" written differently, which the platform sets: write it as port (lowercase, words joined by "-") or remove it.',
    ]);
  });

  test("a NUL byte, raw or escaped", () => {
    expect(teamProblems(Buffer.from(edit(["Image models.", "Image\0models."])))).toEqual([
      "teams/vision.yaml:2:19: contains a NUL character (byte 0), which Kubernetes and GCS refuse in names and values; remove it.",
    ]);
    expect(teamProblems(edit(["description: Image models.", 'description: "Image\\0models."']))).toEqual([
      "teams/vision.yaml:2:14 description: contains a NUL character (\\0), which Kubernetes and GCS refuse; remove it.",
    ]);
  });

  test("the same text parses the same with or without anchors", () => {
    for (const value of ["0b1000000", "-0x10", "-.5"]) {
      const plain = teamProblems(edit(["        maxReplicas: 2", `        maxReplicas: ${value}`]));
      const anchored = teamProblems(
        edit(["        maxReplicas: 2", `        maxReplicas: ${value}`], ["  cpu: 64", "  cpu: &cpu 64"]),
      );
      expect(plain, value).toEqual(anchored);
      expect(plain[0], value).toMatch(/maxReplicas: expected a whole number of replicas/);
    }
  });

  test("team files the loader would skip are errors, never silently ignored", () => {
    const dir = teamsDir();
    fs.symlinkSync(path.join(dir, "recsys.yaml"), path.join(dir, "linked.yaml"));
    fs.writeFileSync(path.join(dir, "vision.YAML"), GOOD);
    fs.mkdirSync(path.join(dir, "dir.yaml"));
    expect(configProblems({ teams: dir })).toEqual([
      "teams/dir.yaml: is not a regular file (a directory or device); a team file must be a file: remove it or rename it without .yaml.",
      "teams/linked.yaml: is a symbolic link; a team file must be a regular file in the repository (a link can change without review or point outside it): copy the file instead.",
      "teams/vision.YAML: is not read: team files end in lowercase .yaml; rename it to vision.yaml.",
    ]);
  });
});

test("the README's 'Add a team' example is what the loader prints", () => {
  const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
  const [, printed] =
    /### Add a team[\s\S]*?```\nray-platform: the configuration has \d+ problems?; nothing was changed.\n([\s\S]*?)```/.exec(
      readme,
    ) ?? [];
  const example = defined(printed, "README.md's 'Add a team' example output").trim().split("\n");
  const recsys = fs
    .readFileSync(path.join(PROJECT_DIR, "teams/recsys.yaml"), "utf8")
    .replace("memory: 800Gi", "memory: 800GB")
    .replace("gpu: { type: t4 }", "gpu: { type: A100 }");
  expect(configProblems({ teams: teamsDir({ "recsys.yaml": recsys }) })).toEqual(example);
});

describe("what the API server, LimitRanger or Ray would refuse later is refused now (issue 28)", () => {
  test("a worker below the namespace's LimitRange minimum, in CPU or memory", () => {
    const problems = teamProblems(
      edit(["        maxReplicas: 2", "        maxReplicas: 2\n        cpu: 5m\n        memory: 1Ki"]),
    );
    expect(problems).toEqual([
      "teams/vision.yaml:17:14 rayClusters[0].workerGroups[0].cpu: the worker would get 5m of cpu, below the least a container may ask for in a team namespace (10m, the namespace's LimitRange), so its pods would be refused; ask for at least 10m.",
    ]);
    expect(
      teamProblems(
        edit(["        maxReplicas: 2", "        maxReplicas: 2\n        cpu: 1\n        memory: 1Ki"]),
      )[0],
    ).toContain(
      "memory: the worker would get 1Ki of memory, below the least a container may ask for in a team namespace (16Mi",
    );
  });
});

describe("rayStartParams and rayResources as Ray and KubeRay take them (issue 28)", () => {
  const params = (yaml: string) =>
    teamProblems(edit(["        maxReplicas: 2", `        maxReplicas: 2\n        ${yaml}`]));

  test("values by ray start's own option types: whole numbers, flags, choices, JSON", () => {
    expect(
      params(
        'rayStartParams: { num-cpus: "1.5", memory: "", object-store-memory: "1e9", block: "yes", log-style: fancy }',
      ),
    ).toEqual([
      'teams/vision.yaml:17:37 rayClusters[0].workerGroups[0].rayStartParams.num-cpus: "1.5" is not a whole number, which --num-cpus takes (ray start would exit on --num-cpus=1.5); write one such as "1".',
      'teams/vision.yaml:17:52 rayClusters[0].workerGroups[0].rayStartParams.memory: "" is not a whole number, which --memory takes (ray start would exit on --memory=); write one such as "1".',
      'teams/vision.yaml:17:77 rayClusters[0].workerGroups[0].rayStartParams.object-store-memory: "1e9" is not a whole number, which --object-store-memory takes (ray start would exit on --object-store-memory=1e9); write one such as "1".',
      "teams/vision.yaml:17:91 rayClusters[0].workerGroups[0].rayStartParams.block: is set by the platform (its Services, NetworkPolicies and notebook rely on it); remove it.",
      'teams/vision.yaml:17:109 rayClusters[0].workerGroups[0].rayStartParams.log-style: "fancy" is not one of auto, record, pretty, which --log-style takes (ray start would exit on --log-style=fancy).',
    ]);
    expect(
      params(
        `rayStartParams: { num-cpus: "1", object-store-memory: 1000000000, disable-usage-stats: "true", include-dashboard: "false", include-log-monitor: "true", system-config: "'{\\"a\\": 1}'" }`,
      ),
    ).toEqual([]);
    // Found by npm run fuzz with Ray's parser: KubeRay makes "true" a bare flag (but for log-color,
    // include-dashboard and, since 1.7.0, include-log-monitor), which an option with a value refuses.
    expect(params('rayStartParams: { temp-dir: "true", node-name: "false" }')).toEqual([
      'teams/vision.yaml:17:37 rayClusters[0].workerGroups[0].rayStartParams.temp-dir: KubeRay passes "true" as a bare --temp-dir, which ray start refuses as it takes a value; --temp-dir takes text, not an on/off switch.',
      'teams/vision.yaml:17:56 rayClusters[0].workerGroups[0].rayStartParams.node-name: KubeRay passes "false" as nothing (the setting is silently dropped); --node-name takes text, not an on/off switch.',
    ]);
  });

  test("values go through bash unquoted: what bash would split or expand must be single-quoted (issue 28 review)", () => {
    expect(params(`rayStartParams: { system-config: '{"a": 1}', node-name: "a;b" }`)).toEqual([
      expect.stringMatching(
        /rayStartParams\.system-config: .* reaches ray start through bash unquoted \(KubeRay writes --system-config=value into the container's command\), where spaces, quotes and .* change it; put the whole value in single quotes, e\.g\. '\{"a": 1\}'\.$/,
      ),
      expect.stringContaining(`rayStartParams.node-name: "a;b" reaches ray start through bash unquoted`),
    ]);
    expect(params(`rayStartParams: { node-name: "'a;b'" }`)).toEqual([]);
  });

  test("keys ray start does not have, with dashes, or empty", () => {
    expect(params('rayStartParams: { "--num-cpus": "1", "": "1", num-cpu: "1" }')).toEqual([
      'teams/vision.yaml:17:41 rayClusters[0].workerGroups[0].rayStartParams.--num-cpus: KubeRay adds the "--" itself (it would pass ----num-cpus): write the key as num-cpus.',
      "teams/vision.yaml:17:50 rayClusters[0].workerGroups[0].rayStartParams.: an empty flag name; remove it.",
      'teams/vision.yaml:17:64 rayClusters[0].workerGroups[0].rayStartParams.num-cpu: "num-cpu" is not an option of ray start (Ray 2.52.0), which would exit and the pod never run; did you mean num-cpus? Remove it or fix its name (`ray start --help` lists them).',
    ]);
  });

  test("custom rayResources that are not amounts", () => {
    expect(params("rayResources: { my_accelerator: lots }")).toEqual([
      'teams/vision.yaml:17:41 rayClusters[0].workerGroups[0].rayResources.my_accelerator: "lots" is not an amount (0 or more): KubeRay would drop it without a word, or pass a negative count to Ray; write one such as 1, 0.5 or 500m.',
    ]);
    expect(params('rayResources: { my_accelerator: "-1" }')[0]).toContain(
      '"-1" is not an amount (0 or more)',
    );
  });
});

describe("images and projects the runtime, GCS and Artifact Registry would refuse (issue 28)", () => {
  test("a custom image with spaces, upper-case path letters or a shell character", () => {
    for (const image of [
      " rayproject/ray:2.52.0",
      "rayproject/ray:2.52.0 ",
      "RayProject/Ray:2.52.0",
      "x;id",
    ]) {
      const problems = teamProblems(
        edit([
          "  - name: detector",
          `  - name: detector\n    rayVersion: "2.52.0"\n    image: ${JSON.stringify(image)}`,
        ]),
      );
      expect(problems, image).toEqual([
        expect.stringMatching(
          /^teams\/vision\.yaml:13:12 rayClusters\[0\]\.image: .* is not an image reference the container runtime can parse \(.+\), so the pods would never start; write one such as /,
        ),
      ]);
    }
    for (const image of [
      "us-docker.pkg.dev/p/r/ray:2.52.0-py311",
      "localhost:5000/ray@sha256:" + "a".repeat(64),
    ]) {
      expect(
        teamProblems(
          edit(["  - name: detector", `  - name: detector\n    rayVersion: "2.52.0"\n    image: ${image}`]),
        ),
        image,
      ).toEqual([]);
    }
  });

  test("a gcp:project that is not a plain project ID, and a registry that makes no valid image name", () => {
    for (const project of ["proj_ect", "My-Project", "example.com:my-project"]) {
      expect(configProblems({ overrides: { "gcp:project": project } }).join("\n"), project).toContain(
        `gcp:project: "${project}" is not a project ID this platform can use`,
      );
    }
    expect(
      configProblems({ overrides: { "ray-platform:ray": { imageRegistry: "Docker.io/My Mirror/" } } }).join(
        "\n",
      ),
    ).toContain('ray-platform:ray.imageRegistry: "Docker.io/My Mirror/" does not make valid image names');
    expect(
      configProblems({
        overrides: {
          "gcp:project": "my-ml-platform-dev",
          "ray-platform:ray": { imageRegistry: "us-docker.pkg.dev/my-project/dockerhub" },
        },
      }),
    ).toEqual([]);
  });
});

describe("every quantity Kubernetes takes, normalised (issue 28)", () => {
  test('"4.", "1e3", "1E3", "1e+3", "+4", "-0" and "1n" are accepted, and rendered in Kubernetes\' spelling', () => {
    const cases: [string, string][] = [
      ["64.", "64"],
      ["1e3", "1000"],
      ["1E3", "1000"],
      ["1e+3", "1000"],
      ["+64", "64"],
      ["64000000000n", "64"],
      ["64", "64"],
      ["64500m", "64500m"],
    ];
    for (const [written, rendered] of cases) {
      const dir = teamsDir({
        "vision.yaml": edit(
          ["  cpu: 64", `  cpu: "${written}"`],
          ["    t4: 4", '    t4: 4\n  storage: "-0"'],
        ),
      });
      expect(configProblems({ teams: dir }), written).toEqual([]);
      const team = loadConfig({ teams: dir }).teams.find((t) => t.name === "vision")!;
      expect(team.quota.cpu, written).toBe(rendered);
      expect(team.quota.storage).toBe("0");
    }
    expect(
      (
        [
          ["1n", "1n"],
          ["1.5e-3", "1500u"],
          ["4.", "4"],
          ["2.5E-1", "250m"],
          ["48Gi", "48Gi"],
          ["0.5", "0.5"],
        ] as const
      ).map(([q]) => normalizedQuantity(q)),
    ).toEqual(["1n", "1500u", "4", "250m", "48Gi", "0.5"]);
  });

  test("memory keeps the user's family of suffixes: 800G renders as 800G, not 781250000Ki (issue 24)", () => {
    const dir = teamsDir({ "vision.yaml": edit(["  memory: 256Gi", "  memory: 800G"]) });
    expect(configProblems({ teams: dir })).toEqual([]);
    expect(loadConfig({ teams: dir }).teams.find((t) => t.name === "vision")!.quota.memory).toBe("800G");
    expect(["1000M", "1536Mi", "2Gi", "1024"].map((q) => canonicalMemory(parseQuantity(q)!))).toEqual([
      "1G",
      "1536Mi",
      "2Gi",
      "1Ki",
    ]);
  });

  test("a negative amount is refused as negative, and 1e300 as more than any cluster has", () => {
    expect(teamProblems(edit(["  cpu: 64", '  cpu: "-1"']))).toEqual([
      'teams/vision.yaml:6:8 quota.cpu: "-1" is negative; an amount of CPU is 0 or more.',
    ]);
    expect(teamProblems(edit(["  cpu: 64", '  cpu: "1e300"']))[0]).toContain(
      "that is more than any cluster has",
    );
  });
});

describe("robustness (issue 28)", () => {
  test("thousands of unknown keys are five problems at their lines and one count, not a flood", () => {
    const keys = Array.from({ length: 15_000 }, (_, i) => `  junk${i}: 1`).join("\n");
    const problems = teamProblems(edit(["  memory: 256Gi", `  memory: 256Gi\n${keys}`]));
    expect(problems.slice(1)).toEqual(
      [0, 1, 2, 3, 4].map((i) =>
        expect.stringMatching(
          new RegExp(
            `^teams/vision\\.yaml:${8 + i}:3 quota\\.junk${i}: unknown key "junk${i}"; remove it\\. Allowed keys: `,
          ),
        ),
      ),
    );
    expect(problems[0]).toBe(
      'teams/vision.yaml:6:3 quota: has 14995 more unknown keys ("junk5", "junk6", "junk7", ...); remove them: only the keys the configuration reference (docs/team-file.md, docs/stack-config.md) lists are read.',
    );
    expect(problems.join("\n").length).toBeLessThan(2000);
  });
});

describe("one parse, one answer; what a reviewer cannot see is refused (issue 28)", () => {
  test("a tag, a huge exponent and a merge key read the same with or without an anchor elsewhere", () => {
    for (const [from, to] of [
      ["  cpu: 64", "  cpu: !!float 64"],
      ["description: Image models.", "description: 1e400"],
    ] as const) {
      const plain = teamProblems(edit([from, to]));
      const anchored = teamProblems(edit([from, to], ["  memory: 256Gi", "  memory: &mem 256Gi"]));
      expect(plain, to).toEqual(anchored);
      expect(plain, to).toHaveLength(1);
    }
    expect(teamProblems(edit(["  cpu: 64", "  cpu: !!float 64"]))[0]).toContain(
      "a YAML tag (such as !!float) that does not fit its value",
    );
    // Merge keys are read as YAML 1.1 and most tools read them.
    const merged = edit([
      "        maxReplicas: 2",
      "        maxReplicas: 2\n      - <<: &t4 { gpu: { type: t4 }, minReplicas: 0, maxReplicas: 1 }\n        name: t4-more",
    ]);
    expect(teamProblems(merged)).toEqual([]);
  });

  test("a member with a look-alike or invisible character, and NEL line ends", () => {
    expect(
      teamProblems(
        edit(["  - user:ana@example.com", "  - user:ana@ex\u0430mple.com\n  - user:bob@example.com\u200b"]),
      ),
    ).toEqual([
      'teams/vision.yaml:4:5 owners[0]: "user:ana@ex\\u{430}mple.com" has a character that is not plain ASCII (U+0430, character 12): it may look like another letter or be invisible, and would grant access to someone else; retype the address.',
      'teams/vision.yaml:5:5 owners[1]: "user:bob@example.com\\u{200b}" has a character that is not plain ASCII (U+200B, character 21): it may look like another letter or be invisible, and would grant access to someone else; retype the address.',
    ]);
    expect(teamProblems("# Vision\u0085" + GOOD.replace(/\n/g, "\u0085"))).toEqual([
      "teams/vision.yaml:1:9: contains NEL (U+0085), which YAML does not read as a line end and nobody sees; save the file with ordinary line ends (\\n).",
    ]);
  });

  test("too many aliases are refused at the first alias's line, and a hidden team file is named", () => {
    const bomb = edit([
      "  memory: 256Gi",
      "  memory: 256Gi\n  x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n  y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  z: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
    ]);
    expect(teamProblems(bomb)).toEqual([
      expect.stringMatching(
        /^teams\/vision\.yaml:9:\d+: .*write the values out instead of using YAML anchors and aliases\.$/,
      ),
    ]);
    const dir = teamsDir({ ".vision.yaml": GOOD });
    expect(configProblems({ teams: dir })).toEqual([
      'teams/.vision.yaml: is not read: it is hidden (its name starts with "."); rename it to vision.yaml if it is a team, or move it out of the teams directory.',
    ]);
  });
});

describe("stack settings GCP or the cluster would refuse (issue 28)", () => {
  const gke = {
    clusterName: "ray-dev",
    location: "regional",
    zones: ["us-central1-a", "us-central1-c", "us-central1-f"],
    releaseChannel: "REGULAR",
    securityGroup: "gke-security-groups@example.com",
  };

  test("a CIDR with host bits set names the network meant; a /0 range is accepted with a note", () => {
    expect(
      configProblems({
        overrides: {
          "ray-platform:gke": { ...gke, authorizedNetworks: [{ cidr: "10.1.2.3/8", name: "office" }] },
        },
      }),
    ).toEqual([
      expect.stringMatching(
        /ray-platform:gke\.authorizedNetworks\[0\]\.cidr: "10\.1\.2\.3\/8" has host bits set, which GCP refuses; write the network: 10\.0\.0\.0\/8\.$/,
      ),
    ]);
    const open = loadConfig({
      overrides: {
        "ray-platform:gke": { ...gke, authorizedNetworks: [{ cidr: "0.0.0.0/0", name: "anywhere" }] },
      },
    });
    expect(open.notes).toContainEqual(
      expect.stringContaining(
        "authorizedNetworks has a /0 range: the control plane's IP endpoint is open to the whole internet",
      ),
    );
    expect(loadConfig().notes.join("\n")).not.toContain("/0 range");
  });

  test("the operator in a system namespace", () => {
    expect(configProblems({ overrides: { "ray-platform:kuberay": { namespace: "kube-system" } } })).toEqual([
      expect.stringMatching(
        /ray-platform:kuberay\.namespace: "kube-system" is a system namespace; the program creates and owns the operator's namespace, so pick one of its own \(default: kuberay-system\)\.$/,
      ),
    ]);
  });
});

test("an ephemeral-storage quota smaller than the team's own pods ask for by default (issue 28)", () => {
  // detector at maxReplicas: a head with its autoscaler sidecar and 2 workers, 1Gi per container by the LimitRange's default.
  expect(teamProblems(edit(["    t4: 4", '    t4: 4\n  ephemeralStorage: "2Gi"']))).toEqual([
    'teams/vision.yaml:12:11 rayClusters[0].name: "detector" at maxReplicas asks for 4Gi of ephemeral storage (1Gi per container by the namespace\'s defaults), above quota.ephemeralStorage (2Gi); its last pods would be refused, as Kueue does not count ephemeral storage. Lower maxReplicas or raise quota.ephemeralStorage.',
  ]);
  expect(teamProblems(edit(["    t4: 4", '    t4: 4\n  ephemeralStorage: "4Gi"']))).toEqual([]);
});

test("independent mistakes in two files come in one run: a duplicate cluster, a duplicate group, a cluster count over quota (issue 24)", () => {
  const dupCluster = GOOD.replace("quota:\n", "quota:\n  rayClusters: 1\n") + "  - name: detector\n";
  const dupGroup = GOOD.replace("name: vision", "name: speech").replace(
    "        maxReplicas: 2",
    "        maxReplicas: 2\n      - name: t4\n        gpu: { type: t4 }\n        maxReplicas: 1",
  );
  expect(
    configProblems({
      teams: teamsDir({ "vision.yaml": dupCluster, "speech.yaml": dupGroup }, { withRepoTeams: false }),
    }),
  ).toEqual([
    'teams/speech.yaml:17:15 rayClusters[0].workerGroups[1].name: worker group "t4" is already defined at workerGroups[0]; group names must be unique in a cluster, rename one.',
    "teams/vision.yaml:6:16 quota.rayClusters: is 1, but the team file defines 2 RayClusters; raise it or remove clusters.",
    'teams/vision.yaml:18:11 rayClusters[1].name: RayCluster "detector" is already defined at rayClusters[0]; names must be unique in the namespace, rename one.',
  ]);
});

test("a member written as a mapping, and members run together by indentation, say how to write them (issue 24)", () => {
  expect(teamProblems(edit(["  - user:ana@example.com", "  - user: dana@example.com"]))).toEqual([
    "teams/vision.yaml:4:5 owners[0]: user: dana@example.com has a space after the colon, which makes it a mapping to YAML; write user:dana@example.com.",
  ]);
  expect(
    teamProblems(edit(["  - user:ana@example.com", "  - user:ana@example.com\n    - user:bob@example.com"])),
  ).toEqual([
    'teams/vision.yaml:4:5 owners[0]: "user:ana@example.com - user:bob@example.com" looks like several members on one line: YAML reads a "- " indented further than the first entry as part of its text. Put each member on its own line, its "- " aligned with the first one\'s.',
  ]);
});

test("a GPU quota above what the pools hold at maxNodes is refused with the numbers; quotas that add up to more are a note (issue 24)", () => {
  const t4 = loadConfig().pools.filter((p) => p.gpu?.type === "t4");
  const capacity = t4.reduce((n, p) => n + p.maxNodes * p.gpu!.count, 0);
  expect(capacity).toBeGreaterThan(0);
  expect(teamProblems(edit(["    t4: 4", `    t4: ${capacity + 1}`]))).toEqual([
    `teams/vision.yaml:9:9 quota.gpus.t4: is ${capacity + 1}, more t4 GPUs than the stack's pools hold at maxNodes (${capacity}: ${t4.map((p) => `pool ${p.name}: ${p.maxNodes} nodes x ${p.gpu!.count}`).join(", ")}); lower it to at most ${capacity}, or ask the platform team to raise the pools' maxNodes.`,
  ]);
  const teams = Object.fromEntries(
    ["a", "b", "c"].map((n) => [
      `${n}.yaml`,
      edit(
        ["name: vision", `name: ${n}`],
        ["    t4: 4", `    t4: ${capacity}`],
        ["maxReplicas: 2", "maxReplicas: 1"],
      ),
    ]),
  );
  expect(loadConfig({ teams: teamsDir(teams, { withRepoTeams: false }) }).notes).toContainEqual(
    expect.stringContaining(
      `the teams' t4 quotas add up to ${3 * capacity} GPUs, more than the pools hold at maxNodes (${capacity}:`,
    ),
  );
});
