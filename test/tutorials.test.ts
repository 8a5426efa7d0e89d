/**
 * Every tutorial runs on the images the platform starts: what the notebook kernel imports is in
 * the -extra image (data/ray-image-modules.yaml), and what Ray runs on the cluster is in the
 * Ray image or declared in the notebook's runtime_env.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { expect, test } from "vitest";
import { defined } from "./defined";
import { PROJECT_DIR } from "./mocks";

const modules = load(
  fs.readFileSync(path.join(PROJECT_DIR, "data/ray-image-modules.yaml"), "utf8"),
) as Record<"python311" | "ray" | "extra", string[]>;
const rayImage = new Set([...modules.python311, ...modules.ray]);
const notebookImage = new Set([...rayImage, ...modules.extra]);

interface Import {
  readonly module: string;
  /** At a cell's top level, the kernel runs it; indented (in a function), Ray may run it on a node. */
  readonly inKernel: boolean;
  readonly line: string;
}

/** The imports of a notebook's code cells; `from . import` style is not used in tutorials. */
function importsOf(code: string): Import[] {
  return code.split("\n").flatMap((line) => {
    const m = /^(\s*)(?:import\s+([\w.]+)|from\s+([\w.]+)\s+import\b)/.exec(line);
    if (!m) return [];
    const [, indent, imported, from] = m;
    // One of the two forms matched; its first dotted part is the top-level module.
    const [top = ""] = defined(imported ?? from, `the module of ${JSON.stringify(line)}`).split(".");
    return [{ module: top, inKernel: indent === "", line: line.trim() }];
  });
}

/** Import names of the pip packages a notebook declares in runtime_env={"pip": [...]}. */
function declaredPip(code: string): Set<string> {
  const lists = [...code.matchAll(/"pip"\s*:\s*\[([^\]]*)\]/g)].map(([, list]) =>
    defined(list, "a pip list"),
  );
  return new Set(
    lists.flatMap((l) =>
      [...l.matchAll(/"([A-Za-z0-9_.-]+)/g)].map(([, name]) =>
        defined(name, "a pip package").toLowerCase().replace(/-/g, "_"),
      ),
    ),
  );
}

/** Imports of a notebook that neither its image nor its runtime_env provides. */
function missingImports(notebookJson: string): string[] {
  const nb = JSON.parse(notebookJson);
  const code = nb.cells
    .filter((c: any) => c.cell_type === "code")
    .map((c: any) => [].concat(c.source).join(""))
    .join("\n");
  const pip = declaredPip(code);
  return importsOf(code)
    .filter((i) =>
      i.inKernel ? !notebookImage.has(i.module) : !rayImage.has(i.module) && !pip.has(i.module),
    )
    .map(
      (i) =>
        `${i.line} (${i.inKernel ? "in the notebook kernel: the -extra image" : "on the cluster: the Ray image or runtime_env"})`,
    );
}

const tutorials = fs
  .readdirSync(path.join(PROJECT_DIR, "tutorials"))
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

test.each(tutorials)("%s imports only what its images ship or its runtime_env declares", (file) => {
  const text = fs.readFileSync(path.join(PROJECT_DIR, "tutorials", file), "utf8");
  expect(
    importsOf(
      JSON.parse(text)
        .cells.flatMap((c: any) => (c.cell_type === "code" ? [[].concat(c.source).join("")] : []))
        .join("\n"),
    ).length,
  ).toBeGreaterThan(0);
  expect(missingImports(text)).toEqual([]);
});

test("the check finds what the images lack: torch in the kernel, or on the cluster without runtime_env", () => {
  const nb = (cells: string[]) =>
    JSON.stringify({ cells: cells.map((source) => ({ cell_type: "code", source })) });
  expect(missingImports(nb(["import torch\nimport ray"]))).toEqual([
    "import torch (in the notebook kernel: the -extra image)",
  ]);
  expect(missingImports(nb(["@ray.remote\ndef f():\n    import torch\n"]))).toEqual([
    "import torch (on the cluster: the Ray image or runtime_env)",
  ]);
  expect(
    missingImports(
      nb(['ray.init(runtime_env={"pip": ["torch==2.5.1"]})', "def f():\n    from torch import nn\n"]),
    ),
  ).toEqual([]);
  // runtime_env reaches Ray's workers, never the kernel.
  expect(missingImports(nb(['ray.init(runtime_env={"pip": ["torch==2.5.1"]})\nimport torch']))).toHaveLength(
    1,
  );
});
