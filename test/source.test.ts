/** YAML sources: the fast reader and the reader that keeps positions agree on what a file says. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { expect, test } from "vitest";
import { type ConfigIssue } from "../config/errors";
import { YamlSource } from "../config/source";
import { PROJECT_DIR } from "./mocks";

const careful = (text: string) => parseDocument(text, { uniqueKeys: true, strict: true }).toJS();

const TRICKY = [
  "a: 1\nb: 1.5\nc: .5\nd: 1e3\ne: 0o14\nf: 0x1A\ng: -2\n",
  "a: true\nb: false\nc: yes\nd: no\ne: on\nf: null\ng: ~\nh:\n",
  "a: \"48Gi\"\nb: 48Gi\nc: '500m'\nd: 2024-01-01\ne: 12:30\n",
  "a: |\n  line one\n  line two\nb: >\n  folded\n  text\n",
  "list:\n  - user:a@example.com\n  - { type: t4, count: 1 }\n  - [1, 2]\nunicode: «Grüße» 日本\n",
  "a: 'it''s'\nb: \"tab\\there\"\nc: key: with colon\n",
] as const;

test("on every team file of the repo and on tricky scalars, both readers give the same data", () => {
  const files = ["teams", "e2e/teams"].flatMap((d) =>
    fs.readdirSync(path.join(PROJECT_DIR, d)).map((f) => path.join(PROJECT_DIR, d, f)),
  );
  const texts = [
    ...files.map((f) => fs.readFileSync(f, "utf8")),
    ...TRICKY.filter((t) => !t.includes("c: key: with colon")),
  ];
  expect(texts.length).toBeGreaterThan(8);
  for (const text of texts) {
    const issues: ConfigIssue[] = [];
    expect(YamlSource.parse("t.yaml", text, issues).data, text).toEqual(careful(text));
    expect(issues).toEqual([]);
  }
});

test("what the fast reader refuses is reported by the careful one, with its position", () => {
  const issues: ConfigIssue[] = [];
  expect(YamlSource.parse("t.yaml", TRICKY[5], issues).data).toBeUndefined();
  expect(issues).toEqual([expect.objectContaining({ file: "t.yaml", line: 3, path: "" })]);
});

test("a value's position is found after the fast read, when a message needs it", () => {
  const source = YamlSource.parse("t.yaml", "quota:\n  cpu: 64\n  memory: lots\n", []);
  expect(source.issue(["quota", "memory"], "bad")).toEqual({
    file: "t.yaml",
    line: 3,
    col: 11,
    path: "quota.memory",
    message: "bad",
  });
});

test("a %YAML 1.1 directive is read as YAML 1.1 says (yes is true), not as the fast reader would", () => {
  const source = YamlSource.parse("t.yaml", "%YAML 1.1\n---\nbucket: yes\n", []);
  expect(source.data).toEqual(careful("%YAML 1.1\n---\nbucket: yes\n"));
  expect(source.data).toEqual({ bucket: true });
});
