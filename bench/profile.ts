/**
 * Summarize a V8 CPU profile (node --cpu-prof, or bench/run.ts --cpu-prof DIR): the top
 * functions by self and by inclusive time, and self time per file of ours or per package.
 *
 *   npx tsx bench/profile.ts FILE.cpuprofile [TOP]
 */
import * as fs from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const [file, topArg, ...more] = process.argv.slice(2);
const top = Number(topArg ?? 25);
// A directory of profiles holds one per thread (the main one is *.0.001.cpuprofile): one at a time.
if (!file || !Number.isInteger(top) || more.length > 0)
  throw new Error("usage: npx tsx bench/profile.ts FILE.cpuprofile [TOP] (one profile, TOP a number)");
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

const where = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(process.cwd() + "/", "");
const fnKey = (n: ProfileNode) =>
  `${n.callFrame.functionName || "(anonymous)"}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
/** Our files by path; dependencies by package; the rest (GC, node internals) by name. */
const fileKey = (n: ProfileNode) => {
  const url = n.callFrame.url;
  if (url.includes("/node_modules/"))
    return where(url)
      .split("/")
      .slice(0, where(url).startsWith("@") ? 2 : 1)
      .join("/");
  return url ? where(url) : n.callFrame.functionName;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const files = new Map<string, number>();
const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
let total = 0;
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  total += us;
  add(self, fnKey(byId.get(id)!), us);
  add(files, fileKey(byId.get(id)!), us);
  // Each function once per sample, however deep its recursion.
  const seen = new Set<string>();
  for (let x: number | undefined = id; x !== undefined; x = parentOf.get(x)) {
    const k = fnKey(byId.get(x)!);
    if (seen.has(k)) continue;
    seen.add(k);
    add(inclusive, k, us);
  }
});

for (const [title, m] of [
  ["self time", self],
  ["inclusive time", inclusive],
  ["self time by file or package", files],
] as const) {
  console.log(`\n${title} (of ${Math.round(total / 1000)} ms sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${String(Math.round(us / 1000)).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
    );
  }
}
