/**
 * Who talks to the test control plane: an administrator and one person per role the
 * security table (docs/security.md) speaks of, with the groups their tokens carry (GKE passes Google
 * Groups the same way, as the user's groups). The teams are the repository's own team files.
 */
export interface TestUser {
  readonly name: string;
  readonly groups: readonly string[];
}

export const USERS = {
  admin: { name: "admin", groups: ["system:masters"] },
  /** An owner of recsys, through its owners group. */
  owner: { name: "olivia@example.com", groups: ["ml-recsys-leads@example.com"] },
  /** A contributor of recsys, named in its team file. */
  contributor: { name: "alice@example.com", groups: [] },
  /** A member of another team (tech-research's owner). */
  otherTeam: { name: "maria@example.com", groups: [] },
  /** Nobody any team file names. */
  unrelated: { name: "mallory@example.com", groups: [] },
} as const satisfies Record<string, TestUser>;

export type UserRole = keyof typeof USERS;

/** The team whose roles `owner` and `contributor` hold, and the other team `otherTeam` owns. */
export const TEAM = "recsys";
export const OTHER_TEAM = "tech-research";
