/** The node options the program runs with (Pulumi.yaml's nodeargs), and that every launcher uses them. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, test } from "vitest";
import { projectNodeArgs, tsNodeArgv } from "../plan/nodeArgs";
import { PROJECT_DIR } from "./mocks";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "ray-platform-nodeargs-"));

test("npm run plan starts node with Pulumi.yaml's nodeargs, as the Pulumi CLI's language host does", () => {
  const nodeArgs = projectNodeArgs(PROJECT_DIR);
  expect(nodeArgs.length).toBeGreaterThan(0);
  const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts;
  expect(scripts.plan).toBe(`node ${nodeArgs.join(" ")} --import tsx plan/cli.ts`);
});

test("a TypeScript file started with tsNodeArgv runs under those options, from any directory", () => {
  const dir = tmp();
  const file = path.join(dir, "show.ts");
  fs.writeFileSync(
    file,
    "const argv: string[] = process.execArgv;\nprocess.stdout.write(JSON.stringify(argv));\n",
  );
  // From a directory without node_modules: tsx is this checkout's.
  const out = execFileSync(process.execPath, tsNodeArgv(PROJECT_DIR, file, []), {
    cwd: dir,
    encoding: "utf8",
  });
  const execArgv = JSON.parse(out) as string[];
  expect(execArgv.slice(0, projectNodeArgs(PROJECT_DIR).length)).toEqual(projectNodeArgs(PROJECT_DIR));
});

test("a project without nodeargs has none; quoted nodeargs are refused with the file and what to write", () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nruntime:\n  name: nodejs\n");
  expect(projectNodeArgs(dir)).toEqual([]);
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    "name: p\nruntime:\n  name: nodejs\n  options:\n    nodeargs: --title 'a b'\n",
  );
  expect(() => projectNodeArgs(dir)).toThrow(
    `${path.join(dir, "Pulumi.yaml")}: runtime.options.nodeargs must be a string of node options without quotes (e.g. "--max-semi-space-size=32"); got "--title 'a b'".`,
  );
});
