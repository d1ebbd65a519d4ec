import { createHash, randomBytes } from "node:crypto";

/** A seeded source of uniform integers: the same seed always gives the same sequence. */
export type Random = {
  readonly seed: string;
  /** A uniform integer in 0..bound-1 (bound up to 2^32). */
  int(bound: number): number;
};

/** A fresh seed, printed by the scanner so that any run can be replayed with `--seed`. */
export function freshSeed(): string {
  return randomBytes(8).toString("hex");
}

/**
 * sfc32 (Small Fast Counting, 128-bit state) seeded from SHA-256 of the seed text: tiny, fast, and
 * good enough for synthetic traffic; not for anything secret.
 */
export function createRandom(seed: string): Random {
  const digest = createHash("sha256").update(seed, "utf8").digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs of sfc32 still echo the seed words; the reference implementation discards 12.
  for (let i = 0; i < 12; i++) next32();
  return {
    seed,
    int(bound) {
      // 53 random bits, so the bias stays negligible even for bounds close to 2^32.
      const fraction = ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
      return Math.floor(fraction * bound);
    },
  };
}
