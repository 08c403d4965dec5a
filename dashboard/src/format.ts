// (SPA) how numbers, times and states read on screen. Pure: no DOM, the time zone is an argument.

// Formatters are built once: toLocaleString with options builds a new one on every call.
const DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A number to at most 4 significant digits, without exponent noise; '–' when missing. */
export function num(x: number | null | undefined, digits = 4): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-3) return x.toExponential(2);
  return DECIMAL.format(Number(x.toPrecision(digits)));
}

/** A value with its unit ("42.5 %", "3.1 ms"); the unit is data and stays text. */
export function withUnit(x: number | null | undefined, unit: string | undefined): string {
  const n = num(x);
  if (n === '–' || !unit) return n;
  return unit === '%' ? `${n}%` : `${n} ${unit}`;
}

/** A 0..1 ratio as a percentage ("12.5%"); '–' when missing. */
export function pct(x: number | null | undefined, digits = 1): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

/** A p-value: small ones in exponent form so 1e-12 does not read as 0. */
export function pValue(p: number | null | undefined): string {
  if (typeof p !== 'number' || !Number.isFinite(p)) return '–';
  if (p === 0) return '0';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** An integer count with thousands separators. */
export function count(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  return INTEGER.format(Math.round(n));
}

const CENTS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** US dollars: cents from $1 up ("$1,234.50"), two significant digits below ("$0.098"); '–' when missing. */
export function usd(x: number | null | undefined): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  if (x === 0) return '$0';
  if (Math.abs(x) >= 1) return `$${CENTS.format(x)}`;
  return Math.abs(x) < 0.0001 ? '< $0.0001' : `$${Number(x.toPrecision(2))}`;
}

/** A signed threshold adjustment: +0.1 → "+10%". */
export function adjustment(a: number): string {
  const p = Math.round(a * 1000) / 10;
  return `${p > 0 ? '+' : ''}${p}%`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** Building a DateTimeFormat costs far more than using one: a table of 200 rows would build 1000. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(key, f);
  }
  return f;
}

function partsOf(ts: number, timeZone: string | undefined): Parts {
  const f = formatterFor(timeZone);
  const get = (type: string, all: Intl.DateTimeFormatPart[]): number =>
    Number(all.find((p) => p.type === type)?.value ?? 0);
  const all = f.formatToParts(new Date(ts));
  return {
    y: get('year', all),
    mo: get('month', all),
    d: get('day', all),
    h: get('hour', all),
    mi: get('minute', all),
    s: get('second', all),
  };
}

/**
 * A time as people scan a table: "14:05" today, "Mon 12 14:05"-style dates otherwise
 * ("2026-11-19 14:05"). `now` and the time zone come in so tests are deterministic.
 */
export function time(ts: number | null | undefined, now: number, timeZone?: string): string {
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return '–';
  const t = partsOf(ts, timeZone);
  const n = partsOf(now, timeZone);
  const hm = `${pad(t.h)}:${pad(t.mi)}`;
  if (t.y === n.y && t.mo === n.mo && t.d === n.d) return hm;
  return `${t.y}-${pad(t.mo)}-${pad(t.d)} ${hm}`;
}

/** Full date and time with seconds, for tooltips and `<time datetime>`. */
export function fullTime(ts: number, timeZone?: string): string {
  const t = partsOf(ts, timeZone);
  return `${t.y}-${pad(t.mo)}-${pad(t.d)} ${pad(t.h)}:${pad(t.mi)}:${pad(t.s)}`;
}

/** How long ago: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function ago(ts: number, now: number): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hours = Math.round(m / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** A duration in minutes: 90 → "1 h 30 min". */
export function minutes(total: number): string {
  const d = Math.floor(total / 1440);
  const hh = Math.floor((total % 1440) / 60);
  const mm = total % 60;
  return [d ? `${d} d` : '', hh ? `${hh} h` : '', mm || total === 0 ? `${mm} min` : '']
    .filter(Boolean)
    .join(' ');
}

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Minutes after UTC midnight as "HH:MM UTC". */
export function utcClock(minuteOfDay: number): string {
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)} UTC`;
}

/** A state word for people: alert states and API keys are kebab/camel case. */
export function words(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/-/g, ' ')
    .toLowerCase();
}

/** "expected 10 – 50", or the one bound a method has ("expected ≤ 50"). */
export function expectedRange(a: {
  readonly expectedLow: number | null;
  readonly expectedHigh: number | null;
}): string {
  const lo = a.expectedLow;
  const hi = a.expectedHigh;
  if (lo !== null && hi !== null) return `expected ${num(lo)} – ${num(hi)}`;
  if (lo !== null) return `expected ≥ ${num(lo)}`;
  if (hi !== null) return `expected ≤ ${num(hi)}`;
  return 'no expected range';
}
