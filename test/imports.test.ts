/** The source's shape, read from its imports with TypeScript's own parser: who may read files, and no import cycles. */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { expect, test } from "vitest";

const ROOT = path.join(__dirname, "..");

/** The .ts files under `dir` (repository-relative, `/`-separated). */
function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.posix.join(dir, f.split(path.sep).join("/")))
    .sort();
}

interface Import {
  /** As written: "../config/load", "node:fs". */
  readonly spec: string;
  /** The repository file it names, for a relative import. */
  readonly file?: string;
  /** Names taken (`default`, `*` for a namespace), each with whether it is a type only. */
  readonly names: readonly { readonly name: string; readonly typeOnly: boolean }[];
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return [`${base}.ts`, `${base}/index.ts`, base].find(
    (f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile(),
  );
}

/** Every import, re-export and import() of a file. */
function importsOf(file: string): Import[] {
  const sf = ts.createSourceFile(
    file,
    fs.readFileSync(path.join(ROOT, file), "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  const out: Import[] = [];
  const add = (spec: string, names: Import["names"]) => out.push({ spec, file: resolve(file, spec), names });
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const all = clause?.isTypeOnly ?? false;
      const names: { name: string; typeOnly: boolean }[] = [];
      if (clause?.name) names.push({ name: "default", typeOnly: all });
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push({ name: "*", typeOnly: all });
      if (bindings && ts.isNamedImports(bindings))
        for (const e of bindings.elements)
          names.push({ name: (e.propertyName ?? e.name).text, typeOnly: all || e.isTypeOnly });
      add(node.moduleSpecifier.text, names);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause;
      const names =
        clause && ts.isNamedExports(clause)
          ? clause.elements.map((e) => ({
              name: (e.propertyName ?? e.name).text,
              typeOnly: node.isTypeOnly || e.isTypeOnly,
            }))
          : [{ name: "*", typeOnly: node.isTypeOnly }];
      add(node.moduleSpecifier.text, names);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, [{ name: "*", typeOnly: false }]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Readers of files and of Pulumi config: what a module imports when it reads either. */
const FILE_MODULES = ["fs", "node:fs", "fs/promises", "node:fs/promises"];
const READERS: Record<string, readonly string[]> = {
  "config/catalog.ts": ["readData", "catalog", "Catalog"],
  "cost/prices.ts": ["prices"],
  "config/load.ts": ["loadPlatformConfig"],
  "config/teams.ts": ["loadTeams"],
  "config/source.ts": ["YamlSource"],
};

test("components/ and render/ read no file and no Pulumi config: they take the loaded configuration", () => {
  const files = [...sources("components"), ...sources("render")];
  expect(files.length).toBeGreaterThan(15);
  const reads: string[] = [];
  for (const file of files) {
    for (const i of importsOf(file)) {
      if (FILE_MODULES.includes(i.spec)) reads.push(`${file} imports ${i.spec}`);
      const readers = i.file ? READERS[i.file] : undefined;
      for (const n of i.names)
        if (!n.typeOnly && readers?.includes(n.name)) reads.push(`${file} imports ${n.name} from ${i.file}`);
    }
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    for (const call of ["new pulumi.Config(", "allConfig(", "getStack()"])
      if (text.includes(call)) reads.push(`${file} calls ${call}`);
  }
  expect(reads).toEqual([]);
});

/** file -> the files of `files` it imports, type-only imports included (a type cycle still ties the modules together). */
function importGraph(files: readonly string[]): Map<string, Set<string>> {
  const inside = new Set(files);
  return new Map(
    files.map((f) => [
      f,
      new Set(importsOf(f).flatMap((i) => (i.file && inside.has(i.file) ? [i.file] : []))),
    ]),
  );
}

/** The import cycles of a graph: each strongly connected component of more than one file (or a file importing itself), sorted. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const edges = (graph: ReadonlyMap<string, ReadonlySet<string>>) =>
  [...graph.values()].reduce((n, s) => n + s.size, 0);

test("config/ has no import cycle, type-only imports included: shared shapes live in leaf modules (config/types.ts, config/view.ts)", () => {
  const graph = importGraph(sources("config"));
  // Not vacuous: the files are read and their imports resolved.
  expect(graph.size).toBeGreaterThan(15);
  expect(edges(graph)).toBeGreaterThan(40);
  expect(cycles(graph)).toEqual([]);
});

test("the program's modules import one another without a cycle", () => {
  const graph = importGraph([
    "index.ts",
    ...["config", "cost", "render", "components", "plan"].flatMap(sources),
  ]);
  expect(graph.size).toBeGreaterThan(50);
  expect(edges(graph)).toBeGreaterThan(150);
  expect(cycles(graph)).toEqual([]);
});

test("config/ and cost/ import nothing of plan/, render/ or components/: the plan reads costs and configuration, not the reverse", () => {
  const files = [...sources("config"), ...sources("cost")];
  expect(files.filter((f) => f.startsWith("cost/")).length).toBeGreaterThanOrEqual(3);
  const upward = files.flatMap((f) =>
    importsOf(f).flatMap((i) =>
      i.file && /^(plan|render|components)\//.test(i.file) ? [`${f} -> ${i.file}`] : [],
    ),
  );
  expect(files.reduce((n, f) => n + importsOf(f).filter((i) => i.file).length, 0)).toBeGreaterThan(40);
  expect(upward).toEqual([]);
});

test("the cycle finder finds a cycle (so an empty list above means none)", () => {
  const g = new Map([
    ["a", new Set(["b"])],
    ["b", new Set(["c"])],
    ["c", new Set(["a"])],
    ["d", new Set(["d"])],
    ["e", new Set<string>()],
  ]);
  expect(cycles(g)).toEqual([["a", "b", "c"], ["d"]]);
});
