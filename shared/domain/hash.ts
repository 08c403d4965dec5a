// (domain) 32-bit FNV-1a: a short, stable, non-cryptographic hash — the same on every machine and run.

/** 32-bit FNV-1a of a string (UTF-16 code units), as an unsigned integer. */
export function fnv1aInt(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Stable hash of a string into [0, modulus). */
export function stableBucket(text: string, modulus: number): number {
  return modulus <= 1 ? 0 : fnv1aInt(text) % modulus;
}
