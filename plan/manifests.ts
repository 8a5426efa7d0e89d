/**
 * The plan's Kubernetes objects as YAML files, for `kubectl apply --dry-run=server -f DIR` or
 * reading: CRDs first, then cluster-scoped objects and namespaces, then one file per
 * namespace; the Helm release as its chart coordinates and values.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { isSecretValue, type RegisteredResource } from "./engine";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registered inputs are untyped JSON.
type Obj = Record<string, any>;

const SECRET_MASK = "[secret]";

/** The Kubernetes object a registered resource applies, or undefined for non-Kubernetes resources. */
export function manifestOf(r: RegisteredResource): Obj | undefined {
  if (!r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh/")) return undefined;
  const obj = r.inputs as Obj;
  // A Secret's data is a secret input: keep its keys, mask its values (base64, as data must be).
  if (obj.kind !== "Secret") return obj;
  const mask = (d: unknown, masked: string) => {
    const v = isSecretValue(d) ? d.value : d;
    return v && typeof v === "object" ? Object.fromEntries(Object.keys(v).map((k) => [k, masked])) : v;
  };
  return {
    ...obj,
    ...(obj.data ? { data: mask(obj.data, Buffer.from(SECRET_MASK).toString("base64")) } : {}),
    ...(obj.stringData ? { stringData: mask(obj.stringData, SECRET_MASK) } : {}),
  };
}

/**
 * YAML 1.1, as kubectl, Helm (sigs.k8s.io/yaml, go-yaml) and PyYAML read it: strings such as
 * `yes`, `off`, `y`, `0755` or `1:20` are quoted, where YAML 1.2 leaves them plain and a 1.1
 * reader would turn them into booleans and numbers.
 */
const YAML_OPTIONS = { lineWidth: 0, version: "1.1" } as const;
/** Every file name manifestFiles writes; only these are removed from an --out directory. */
const MANIFEST_FILE = /^(00-crds|01-cluster|ns-.+)\.yaml$|^SECRETS\.txt$|^helm\/.+\.values\.yaml$/;
/** Where the Helm releases' values go: a subdirectory, which `kubectl apply -f DIR` does not read. */
export const HELM_DIR = "helm";

/** A Secret whose data is a secret of the plan (a cluster's token): not written, only named. */
const isSecretHolding = (r: RegisteredResource) =>
  r.inputs.kind === "Secret" && [r.inputs.data, r.inputs.stringData].some(isSecretValue);

/** File name -> YAML text, in apply order (file names sort in that order). */
export function manifestFiles(resources: readonly RegisteredResource[]): Record<string, string> {
  const groups = new Map<string, Obj[]>();
  const add = (file: string, obj: Obj) => {
    if (!groups.has(file)) groups.set(file, []);
    groups.get(file)!.push(obj);
  };
  const secrets: string[] = [];
  for (const r of resources) {
    const obj = manifestOf(r);
    if (!obj) continue;
    if (isSecretHolding(r)) {
      secrets.push(`${obj.metadata.namespace}/${obj.metadata.name}`);
      continue;
    }
    const ns = obj.metadata?.namespace;
    if (obj.kind === "CustomResourceDefinition") add("00-crds.yaml", obj);
    else if (!ns) add("01-cluster.yaml", obj);
    else add(`ns-${ns}.yaml`, obj);
  }
  const out: Record<string, string> = {};
  const key = (o: Obj) => `${o.kind === "Namespace" ? 0 : 1}/${o.kind}/${o.metadata?.name}`;
  for (const [file, objs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    out[file] = objs
      .sort((a, b) => key(a).localeCompare(key(b)))
      .map((o) => stringify(o, YAML_OPTIONS))
      .join("---\n");
  }
  for (const r of resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
    const { chart, version, repositoryOpts, namespace, values, name, postrender } = r.inputs;
    const repo = repositoryOpts?.repo ? ` --repo ${repositoryOpts.repo}` : "";
    const post = postrender ? ` --post-renderer ${postrender}` : "";
    out[`${HELM_DIR}/${name}.values.yaml`] =
      `# helm upgrade --install ${name} ${chart}${repo} --version ${version} --namespace ${namespace} --skip-crds${post} -f <this file>\n${stringify(values ?? {}, YAML_OPTIONS)}`;
  }
  // The clusters' tokens are made by pulumi up and never written: each cluster needs its own.
  if (secrets.length > 0) {
    out["SECRETS.txt"] = [
      "Left out of these manifests: the Secrets holding each RayCluster's token, which pulumi up",
      "generates and never writes anywhere. Applying these manifests without Pulumi, make each one,",
      "with a token of its own (letters and digits, which Ray, JupyterLab and VS Code all accept):",
      "",
      ...secrets.sort().map((s) => {
        const [ns, name] = s.split("/");
        return `  kubectl create secret generic ${name} -n ${ns} --from-literal=auth_token=$(openssl rand -hex 24)`;
      }),
      "",
    ].join("\n");
  }
  return out;
}

/**
 * Write the manifests to `dir`, first removing the manifest files of an earlier plan there (a
 * removed team's `ns-<team>.yaml` would otherwise be applied again); other files stay.
 */
export function writeManifests(resources: readonly RegisteredResource[], dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const helm = path.join(dir, HELM_DIR);
  const earlier = [
    ...fs.readdirSync(dir),
    ...(fs.existsSync(helm) ? fs.readdirSync(helm).map((f) => `${HELM_DIR}/${f}`) : []),
  ];
  for (const stale of earlier.filter((f) => MANIFEST_FILE.test(f))) fs.rmSync(path.join(dir, stale));
  const files = manifestFiles(resources);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return Object.keys(files);
}
