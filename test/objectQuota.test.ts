/** Team-file checks that keep tenancy sound: object-count quotas, the shared Service range, and Ray versions with token authentication. */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, test } from "vitest";
import { configProblems, PROJECT_DIR, teamsDir } from "./mocks";

const recsys = fs.readFileSync(path.join(PROJECT_DIR, "teams/recsys.yaml"), "utf8");
const withObjects = (objects: string) =>
  recsys.replace("  storage: 500Gi\n", `  storage: 500Gi\n  objects: ${objects}\n`);

test("the example teams' quotas fit the dev stack's Service range", () => {
  expect(configProblems()).toEqual([]);
});

test("a configuration whose Service quotas could exhaust the cluster's Service range is refused", () => {
  // recsys alone could take 3,900 of the 4,096 addresses of 10.20.0.0/20; with the others, more than the 3,840 teams get.
  const problems = configProblems({ teams: teamsDir({ "recsys.yaml": withObjects("{ services: 3900 }") }) });
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(
    /^Pulumi\.dev\.yaml(:\d+:\d+)? ray-platform:gke\.network\.servicesCidr: 10\.20\.0\.0\/20 holds 4096 Service addresses, 256 kept for the system, but the 3 teams' quota\.objects\.services add up to 3970 \(largest: recsys 3900, ray-playground 40, tech-research 30\); lower quota\.objects\.services/,
  );
});

test("the object quota must admit the team's own clusters: Services, and pods at maxReplicas", () => {
  // two-tower: head Service and tools Service (notebook); 1 head + 12 workers at maxReplicas.
  expect(
    configProblems({ teams: teamsDir({ "recsys.yaml": withObjects("{ services: 1, pods: 10 }") }) }),
  ).toEqual([
    expect.stringMatching(
      /^teams\/recsys\.yaml:\d+:\d+ quota\.objects\.services: is 1, but the team's RayClusters need 2 services/,
    ),
    expect.stringMatching(
      /^teams\/recsys\.yaml:\d+:\d+ rayClusters\[0\]\.name: "two-tower" at maxReplicas has 13 pods, above quota\.objects\.pods \(10\)/,
    ),
  ]);
});

test("object counts are checked like every other field", () => {
  expect(configProblems({ teams: teamsDir({ "recsys.yaml": withObjects("{ servics: 3 }") }) })).toEqual([
    expect.stringMatching(/^teams\/recsys\.yaml:\d+:\d+ quota\.objects\.servics: /),
  ]);
  expect(configProblems({ teams: teamsDir({ "recsys.yaml": withObjects("{ pods: -1 }") }) })).toEqual([
    expect.stringMatching(/quota\.objects\.pods: -1 is too small/),
  ]);
});

test("a custom image of a Ray older than 2.52 is refused: every cluster has token authentication", () => {
  const old = recsys
    .replace(
      "  - name: two-tower\n",
      "  - name: two-tower\n    image: example.com/ray:2.40\n    rayVersion: 2.40.0\n",
    )
    .replace("    notebook: true\n", "");
  expect(configProblems({ teams: teamsDir({ "recsys.yaml": old }) })).toEqual([
    expect.stringMatching(
      /^teams\/recsys\.yaml:\d+:\d+ rayClusters\[0\]\.rayVersion: Ray 2\.40\.0 has no token authentication.*use Ray 2\.52\.0 or later\.$/,
    ),
  ]);
});
