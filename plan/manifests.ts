/**
 * The plan's Kubernetes objects as YAML files, for `kubectl apply --dry-run=server -f DIR` or
 * reading: CRDs first, then cluster-scoped objects and namespaces, then one file per
 * namespace; the Helm release as its chart coordinates and values.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { type RegisteredResource } from "./engine";
import { manifestOf } from "./schemas";

type Obj = Record<string, any>;

/** File name -> YAML text, in apply order (file names sort in that order). */
export function manifestFiles(resources: readonly RegisteredResource[]): Record<string, string> {
  const groups = new Map<string, Obj[]>();
  const add = (file: string, obj: Obj) => {
    if (!groups.has(file)) groups.set(file, []);
    groups.get(file)!.push(obj);
  };
  for (const r of resources) {
    const obj = manifestOf(r);
    if (!obj) continue;
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
      .map((o) => stringify(o, { lineWidth: 0 }))
      .join("---\n");
  }
  for (const r of resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
    const { chart, version, repositoryOpts, namespace, values, name, postrender } = r.inputs;
    const repo = repositoryOpts?.repo ? ` --repo ${repositoryOpts.repo}` : "";
    const post = postrender ? ` --post-renderer ${postrender}` : "";
    out[`helm-${name}.yaml`] = `# helm upgrade --install ${name} ${chart}${repo} --version ${version} --namespace ${namespace} --skip-crds${post} -f <this file>\n${stringify(values ?? {})}`;
  }
  return out;
}

export function writeManifests(resources: readonly RegisteredResource[], dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = manifestFiles(resources);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return Object.keys(files);
}
