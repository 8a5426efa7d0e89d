/**
 * Shapes several config modules share. It imports nothing, so sharing a shape ties no module
 * to another (test/imports.test.ts holds config/ free of import cycles).
 */

/** CPU (cores), memory (bytes) and GPUs per type that a set of pods requests. */
export interface Demand {
  cpu: number;
  memoryBytes: number;
  gpus: Record<string, number>;
}
