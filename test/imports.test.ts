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
  return [`${base}.ts`, `${base}/index.ts`, base].find((f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile());
}

/** Every import, re-export and import() of a file. */
function importsOf(file: string): Import[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
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
      if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.push({ name: (e.propertyName ?? e.name).text, typeOnly: all || e.isTypeOnly });
      add(node.moduleSpecifier.text, names);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const names = clause && ts.isNamedExports(clause) ? clause.elements.map((e) => ({ name: (e.propertyName ?? e.name).text, typeOnly: node.isTypeOnly || e.isTypeOnly })) : [{ name: "*", typeOnly: node.isTypeOnly }];
      add(node.moduleSpecifier.text, names);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
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
      for (const n of i.names) if (!n.typeOnly && readers?.includes(n.name)) reads.push(`${file} imports ${n.name} from ${i.file}`);
    }
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    for (const call of ["new pulumi.Config(", "allConfig(", "getStack()"]) if (text.includes(call)) reads.push(`${file} calls ${call}`);
  }
  expect(reads).toEqual([]);
});
