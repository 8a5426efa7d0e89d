/** What the project caches for the user (config/userCache.ts): parsed CRDs, and the entries' names. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load as loadYaml } from "js-yaml";
import { expect, test } from "vitest";
import { parseCrdText } from "../config/load";
import { cacheKey, userCacheDir, writeCacheEntry } from "../config/userCache";
import { PROJECT_DIR } from "./mocks";

/** Every pinned CRD file: data/<operator>/<version>/crds/*.yaml. */
function pinnedCrdFiles(): string[] {
  const data = path.join(PROJECT_DIR, "data");
  return fs
    .readdirSync(data, { recursive: true, encoding: "utf8" })
    .filter((f) => /(^|\/)crds\/[^/]+\.ya?ml$/.test(f))
    .map((f) => path.join(data, f));
}

test("every pinned CRD holds only what JSON can, so its cached JSON is the same object", () => {
  const files = pinnedCrdFiles();
  expect(files.length).toBeGreaterThanOrEqual(15);
  for (const file of files) {
    const parsed = loadYaml(fs.readFileSync(file, "utf8"));
    expect(JSON.parse(JSON.stringify(parsed)), file).toEqual(parsed);
  }
});

test("a CRD's text is parsed once per machine: then read from its cache entry, which a broken one does not stop", () => {
  const text = `kind: CustomResourceDefinition\nmetadata: { name: ${path.basename(fs.mkdtempSync(path.join(os.tmpdir(), "crd-")))} }\n`;
  const entry = path.join(userCacheDir("parsed-crds"), `${cacheKey(text)}.json`);
  expect(fs.existsSync(entry)).toBe(false);
  const parsed = parseCrdText(text);
  expect(JSON.parse(fs.readFileSync(entry, "utf8"))).toEqual(parsed);
  // What the entry says is what is read: a different object there shows it is not parsed again.
  fs.writeFileSync(entry, JSON.stringify({ ...parsed, read: "from the cache" }));
  expect(parseCrdText(text)).toEqual({ ...parsed, read: "from the cache" });
  fs.writeFileSync(entry, "{ half a file");
  expect(parseCrdText(text)).toEqual(parsed);
  expect(JSON.parse(fs.readFileSync(entry, "utf8"))).toEqual(parsed);
});

test("entries are named by all their parts, where one ends and the next begins included", () => {
  expect(cacheKey("ab", "c")).not.toBe(cacheKey("a", "bc"));
  expect(cacheKey("a", "bc")).toBe(cacheKey("a", Buffer.from("bc")));
  expect(cacheKey("a")).toMatch(/^[0-9a-f]{32}$/);
});

test("a cache that cannot be written is no error: the work is done again next time", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cache-"));
  const blocked = path.join(dir, "file");
  fs.writeFileSync(blocked, "");
  // A file where the directory should be.
  expect(() => writeCacheEntry(path.join(blocked, "entry.json"), "{}")).not.toThrow();
  writeCacheEntry(path.join(dir, "entry.json"), "{}");
  expect(fs.readdirSync(dir).sort()).toEqual(["entry.json", "file"]);
});
