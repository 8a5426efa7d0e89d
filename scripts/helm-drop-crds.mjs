#!/usr/bin/env node
// Helm post-renderer: reads the rendered manifests on stdin and writes them back without
// CustomResourceDefinitions. Kueue's chart renders its CRDs as templates, which `skipCrds`
// does not skip; the program applies the pinned CRDs itself (data/kueue/<version>/crds), so
// Helm must neither create, upgrade nor, on uninstall, delete them.
import process from "node:process";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => process.stdout.write(dropCrds(input)));

/** Documents are separated by lines of "---"; a CRD is a document whose top-level kind is one. */
function dropCrds(text) {
  return text
    .split(/^---[ \t]*$/m)
    .filter((doc) => !/^kind:[ \t]*["']?CustomResourceDefinition["']?[ \t]*$/m.test(doc))
    .join("---");
}
