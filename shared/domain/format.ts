// (domain) number formatting for humans: messages, explanations, the console.

/** A short, readable rendering: 2 decimals under 10, 1 above, exponent for tiny/huge values. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 0.01 || abs >= 1e6)) return x.toExponential(2);
  return Number(x.toFixed(abs < 10 ? 2 : 1)).toString();
}
