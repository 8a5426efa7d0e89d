/**
 * Where the project keeps what it can make again, for the user who runs it:
 * ${XDG_CACHE_HOME:-~/.cache}/ray-platform/<name>. Entries are named by a hash of everything
 * that decides them, so none is ever stale; one that does not read is made again.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function userCacheDir(name: string): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "ray-platform", name);
}

/** A cache entry's name: the hash of what decides it. */
export function cacheKey(...parts: (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(createHash("sha256").update(p).digest());
  return hash.digest("hex").slice(0, 32);
}

/**
 * Writes `text` as `file`, aside first and then renamed, so no reader sees half of it. A cache
 * that cannot be written (a read-only home, a full disk) costs the next run the work, nothing
 * else: its errors are dropped.
 */
export function writeCacheEntry(file: string, data: string | Buffer): void {
  const part = `${file}.${process.pid}.part`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(part, data);
    fs.renameSync(part, file);
  } catch {
    discardPart(part);
  }
}

/** Removes a half-written entry; there is none when its directory could not be made. */
export function discardPart(part: string): void {
  try {
    fs.rmSync(part, { force: true });
  } catch {
    // No directory to write in, so nothing was written.
  }
}
