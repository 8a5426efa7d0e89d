/** Every Kubernetes object the program renders passes the schema of its kind. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, test } from "vitest";
import { manifestFiles, manifestOf, writeManifests } from "../plan/manifests";
import { validatePlanManifests } from "./schemas";
import { defined } from "./defined";
import { runProgram, teamsDir, sharedStack } from "./mocks";

test.each(["dev", "kind"])(
  "the %s stack's objects all pass Kubernetes' and the CRDs' schemas",
  async (stack) => {
    const { resources } = await sharedStack(stack as "dev" | "kind");
    const kinds = new Set(
      resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh"))
        .map((r) => r.inputs.kind),
    );
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "RoleBinding",
        "NetworkPolicy",
        "ServiceAccount",
        "RayCluster",
        "CustomResourceDefinition",
        "ValidatingAdmissionPolicy",
      ]),
    );
    expect(validatePlanManifests(resources)).toEqual([]);
  },
);

test("the check reports an object Kubernetes would refuse", async () => {
  const { resources } = await sharedStack("kind");
  const ns = resources.find(
    (r) => r.type === "kubernetes:core/v1:ResourceQuota" && (r.inputs as any).metadata.namespace === "smoke",
  )!;
  (ns.inputs as any).spec.hard = "lots";
  expect(validatePlanManifests(resources)).toEqual([
    expect.stringMatching(/^ResourceQuota smoke\/team-quota: .*hard/),
  ]);
});

describe("--out manifests", () => {
  // Strings a YAML 1.1 reader (kubectl, Helm, PyYAML) would turn into booleans or numbers.
  const retyped = ["yes", "no", "on", "off", "y", "1.10", "0755", "1:20"];
  const team = [
    "name: yaml11",
    `description: "${retyped[0]}"`,
    "owners: [user:a@example.com]",
    "quota: { cpu: 1000, memory: 4Ti }",
    "rayClusters:",
    ...retyped.map(
      (d, i) => `  - { name: c${i}, description: "${d}", workerGroups: [{ name: w, replicas: 1 }] }`,
    ),
  ].join("\n");

  test("read back as YAML 1.1, every written file gives exactly the planned objects", async () => {
    const { resources } = await runProgram({
      config: { "ray-platform:teamsDir": teamsDir({ "yaml11.yaml": team }) },
    });
    const files = manifestFiles(resources);
    const written = Object.entries(files)
      .filter(([f]) => f.endsWith(".yaml") && !f.startsWith("helm/"))
      .flatMap(([, text]) => parseAllDocuments(text, { version: "1.1" }).map((d) => d.toJS()));
    // Every planned object but the clusters' token Secrets, which SECRETS.txt names instead.
    const planned = resources
      .map(manifestOf)
      .filter(
        (m) =>
          !!m &&
          !(
            m.kind === "Secret" &&
            files["SECRETS.txt"]?.includes(` ${m.metadata.name} -n ${m.metadata.namespace} `)
          ),
      );
    expect(planned.length).toBeLessThan(resources.map(manifestOf).filter((m) => !!m).length);
    expect(written.length).toBe(planned.length);
    const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const byKey = new Map(written.map((o) => [key(o), o]));
    for (const obj of planned) expect(byKey.get(key(obj)), key(obj)).toEqual(JSON.parse(JSON.stringify(obj)));
    // It looked at the values that matter.
    expect(
      written
        .filter((o) => o.kind === "RayCluster" && o.metadata.namespace === "yaml11")
        .map((o) => o.metadata.annotations["ray-platform/description"]),
    ).toEqual(retyped);
    const releases = resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    expect(releases.length).toBeGreaterThan(0);
    for (const release of releases) {
      const file = `helm/${release.inputs.name}.values.yaml`;
      const [values] = parseAllDocuments(defined(files[file], file), { version: "1.1" });
      expect(defined(values, `a document in ${file}`).toJS()).toEqual(
        JSON.parse(JSON.stringify(release.inputs.values)),
      );
    }
  });

  test("writing into a directory with an earlier plan removes its manifests (a removed team's), and nothing else", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-out-"));
    fs.mkdirSync(path.join(dir, "helm"));
    for (const f of ["ns-removed-team.yaml", "helm/old.values.yaml", "notes.txt"])
      fs.writeFileSync(path.join(dir, f), "kind: Namespace\n");
    const { resources } = await sharedStack("kind");
    const written = writeManifests(resources, dir);
    const all = [
      ...fs.readdirSync(dir).filter((f) => f !== "helm"),
      ...fs.readdirSync(path.join(dir, "helm")).map((f) => `helm/${f}`),
    ];
    expect(all.sort()).toEqual([...written, "notes.txt"].sort());
    expect(written).not.toContain("ns-removed-team.yaml");
    expect(written).not.toContain("helm/old.values.yaml");
  });
});
