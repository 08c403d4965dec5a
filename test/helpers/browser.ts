// Browser test helpers: Debian's Chromium through playwright-core, and a fixture server that serves the
// built dashboard with config.json and canned API answers shaped as the contract says
// (/work/contract/DASHBOARD-CONTRACT.md). The fixture keeps state for the mutating routes (marks, reverts,
// maintenance windows) so a test sees the false-positive count change, and sends the same strict CSP as
// the local stack so an inline style or script in the SPA fails the test.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { dashboardCsp } from '../../infra/dashboard-site';
import { createRng } from '../../shared/domain/random';
import { npmStart } from './npm-start';

export const CHROMIUM = '/usr/bin/chromium';

/** Launch headless Chromium (Debian package). @throws with the install hint when it is missing */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** What went wrong in a page: console errors, uncaught exceptions, CSP violations, dialogs. */
export interface PageProblems {
  readonly errors: string[];
  readonly dialogs: string[];
}

/** Collect a page's errors and dismiss (and record) every dialog: an XSS `alert()` must show up here. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.errors.push(m.text());
  });
  page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

// ---- demo data (deterministic) ----

export const XSS_LABEL = '<img src=x onerror=alert(1)>';

const MIN = 60_000;
const HOUR = 60 * MIN;
const METRICS = [
  { metric: 'cpu_percent', unit: '%', base: 40, amp: 15, name: 'CPU' },
  { metric: 'memory_percent', unit: '%', base: 62, amp: 5, name: 'memory' },
  { metric: 'latency_p99_ms', unit: 'ms', base: 180, amp: 60, name: 'p99 latency' },
  { metric: 'db_connections', unit: 'count', base: 80, amp: 20, name: 'DB connections' },
  { metric: 'disk_used_percent', unit: '%', base: 55, amp: 1, name: 'disk' },
] as const;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const LEVEL: Record<(typeof SEVERITIES)[number], string> = {
  low: 'INFO',
  medium: 'WARNING',
  high: 'CRITICAL',
  critical: 'CRITICAL',
};
const ALERT_STATES = [
  'sent',
  'grouped',
  'deduplicated',
  'rate-limited',
  'suppressed',
  'below-severity',
] as const;

interface DemoSeries {
  id: string;
  label: string;
  metric: string;
  unit: string;
  tags: Record<string, string>;
  base: number;
  amp: number;
  phase: number;
}

interface DemoAnomaly {
  series: string;
  label: string;
  metric: string;
  unit: string;
  ts: number;
  value: number;
  expectedLow: number | null;
  expectedHigh: number;
  baseline: number;
  deviation: number;
  score: number;
  severity: (typeof SEVERITIES)[number];
  level: string;
  methods: string[];
  explanation: string;
  alertState: string;
  alertId?: string;
  feedback?: { label: string; reason?: string; by: string; at: number };
}

interface Threshold {
  metric: string;
  adjustment: number;
  version: number;
  fpCount: number;
  falsePositives: number;
  confirmed: number;
}

interface Change {
  id: string;
  metric: string;
  version: number;
  from: number;
  to: number;
  rule: string;
  counts: Record<string, number>;
  at: number;
  actor: { kind: string; name: string };
  reason?: string;
  revertOf?: string;
}

export interface DemoOptions {
  readonly series?: number;
  readonly anomalies?: number;
  readonly hours?: number;
  readonly now?: number;
  readonly seed?: number;
}

/** The demo world behind the fixture API: N series × H hours of 1-minute points, M anomalies. */
export class DemoWorld {
  readonly now: number;
  readonly hours: number;
  readonly series: DemoSeries[] = [];
  readonly anomalies: DemoAnomaly[] = [];
  readonly thresholds = new Map<string, Threshold>();
  readonly changes: Change[] = [];
  windows: Record<string, unknown>[] = [];
  private readonly noiseSeed: number;

  constructor(opts: DemoOptions = {}) {
    const n = opts.series ?? 50;
    const m = opts.anomalies ?? 200;
    this.hours = opts.hours ?? 24;
    this.now = Math.floor((opts.now ?? Date.now()) / MIN) * MIN;
    const rng = createRng(opts.seed ?? 7);
    this.noiseSeed = opts.seed ?? 7;
    for (let i = 0; i < n; i++) {
      const spec = METRICS[i % METRICS.length]!;
      const host = `web-${String(Math.floor(i / METRICS.length) + 1).padStart(2, '0')}`;
      this.series.push({
        id: `Demo/${spec.metric}/host=${host}`,
        label: i === 3 ? XSS_LABEL : `${host} ${spec.name}`,
        metric: spec.metric,
        unit: spec.unit,
        tags: { host, env: i % 2 ? 'prod' : 'staging' },
        base: spec.base,
        amp: spec.amp,
        phase: rng.uniform(0, Math.PI * 2),
      });
    }
    for (const spec of METRICS) {
      this.thresholds.set(spec.metric, {
        metric: spec.metric,
        adjustment: 0,
        version: 0,
        fpCount: 0,
        falsePositives: 0,
        confirmed: 0,
      });
    }
    const from = this.now - this.hours * HOUR;
    const used = new Set<string>();
    for (let k = 0; k < m; k++) {
      // Every series gets some; the XSS series gets the newest so it is charted by default.
      const s = k === 0 ? this.series[3 % n]! : this.series[rng.int(n)]!;
      let ts = k === 0 ? this.now - 2 * MIN : from + rng.int(this.hours * 60) * MIN;
      while (used.has(`${s.id}@${ts}`)) ts -= MIN;
      used.add(`${s.id}@${ts}`);
      const normal = this.valueAt(s, ts);
      const sev = SEVERITIES[k === 0 ? 3 : rng.int(4)]!;
      const jump = s.amp * (2 + SEVERITIES.indexOf(sev)) * (rng.next() < 0.8 ? 1 : -1);
      const value = Math.max(0, normal + jump);
      const state = ALERT_STATES[rng.int(ALERT_STATES.length)]!;
      const method = (['zscore', 'spike', 'level_shift'] as const)[rng.int(3)]!;
      const a: DemoAnomaly = {
        series: s.id,
        label: s.label,
        metric: s.metric,
        unit: s.unit,
        ts,
        value,
        // A spike method bounds one side only; the API sends null for the other.
        expectedLow: method === 'spike' && jump > 0 ? null : normal - s.amp * 0.6,
        expectedHigh: normal + s.amp * 0.6,
        baseline: normal,
        deviation: Math.abs(jump) / (s.amp * 0.3),
        score: 0.5 + rng.next() / 2,
        severity: sev,
        level: LEVEL[sev],
        methods: rng.next() < 0.3 && method !== 'zscore' ? [method, 'zscore'] : [method],
        explanation: `${s.label}: ${value.toFixed(1)} outside ${(normal - s.amp * 0.6).toFixed(1)}–${(normal + s.amp * 0.6).toFixed(1)} (${method}, ${sev})`,
        alertState: state,
      };
      if (state === 'sent' || state === 'grouped' || state === 'deduplicated') {
        a.alertId = `${s.metric}-above-${(k * 7919).toString(16).padStart(16, '0')}-${ts}`;
      }
      this.anomalies.push(a);
    }
    this.anomalies.sort((x, y) => y.ts - x.ts);
    this.changes.push({
      id: `${this.now - 30 * HOUR}-cpu_percent-1`,
      metric: 'cpu_percent',
      version: 1,
      from: 0,
      to: 0.1,
      rule: 'weekly-fp-rate',
      counts: { falsePositives: 6, anomalies: 20 },
      at: this.now - 30 * HOUR,
      actor: { kind: 'rule', name: 'weekly-fp-rate' },
    });
    this.thresholds.get('cpu_percent')!.adjustment = 0.1;
    this.thresholds.get('cpu_percent')!.version = 1;
    this.windows.push({
      id: 'db-patching',
      tags: { env: 'staging' },
      schedule: { kind: 'weekly', dayOfWeek: 0, startMinute: 120, durationMinutes: 90 },
      reason: 'Sunday patching',
    });
  }

  /** The deterministic value of a series at a minute: a daily cycle plus hashed noise. */
  valueAt(s: DemoSeries, ts: number): number {
    const day = (2 * Math.PI * (ts % (24 * HOUR))) / (24 * HOUR);
    const x = Math.sin(ts / MIN + this.noiseSeed + s.phase * 1000) * 10000;
    const noise = (x - Math.floor(x) - 0.5) * s.amp * 0.2;
    return s.base + s.amp * Math.sin(day + s.phase) + noise;
  }

  points(id: string, from: number, to: number, maxPoints: number) {
    const s = this.series.find((x) => x.id === id);
    if (!s) return null;
    const start = Math.max(from, this.now - this.hours * HOUR);
    const raw: { ts: number; value: number }[] = [];
    for (let ts = Math.ceil(start / MIN) * MIN; ts <= Math.min(to, this.now); ts += MIN) {
      const a = this.anomalies.find((x) => x.series === id && x.ts === ts);
      raw.push({ ts, value: a ? a.value : this.valueAt(s, ts) });
    }
    if (raw.length <= maxPoints)
      return { id, label: s.label, unit: s.unit, from, to, downsampled: false, points: raw };
    const size = Math.ceil(raw.length / maxPoints);
    const points = [];
    for (let i = 0; i < raw.length; i += size) {
      const b = raw.slice(i, i + size);
      const values = b.map((p) => p.value);
      points.push({
        ts: b[0]!.ts,
        value: values.reduce((x, y) => x + y, 0) / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
      });
    }
    return { id, label: s.label, unit: s.unit, from, to, downsampled: true, points };
  }

  health() {
    return {
      generatedAt: this.now,
      series: this.series.map((s) => {
        const recent = this.anomalies.filter((a) => a.series === s.id && a.ts > this.now - 5 * MIN);
        const last = this.anomalies.find((a) => a.series === s.id);
        const silent = s.metric === 'disk_used_percent' && s.tags.host === 'web-10';
        const sparkline = silent
          ? []
          : Array.from({ length: 60 }, (_, i) => {
              const ts = this.now - (59 - i) * MIN;
              return { ts, value: this.valueAt(s, ts) };
            });
        return {
          id: s.id,
          label: s.label,
          metric: s.metric,
          unit: s.unit,
          tags: s.tags,
          latest: silent ? null : sparkline.at(-1)!,
          state: silent ? 'no-data' : recent.length ? 'anomalous' : 'ok',
          lastAnomaly: last
            ? { ts: last.ts, severity: last.severity, level: last.level, explanation: last.explanation }
            : null,
          sparkline,
        };
      }),
    };
  }

  alerts(from: number, to: number) {
    const inRange = this.anomalies.filter((a) => a.ts >= from && a.ts <= to);
    const n = (st: string) => inRange.filter((a) => a.alertState === st).length;
    const paging = inRange.filter((a) => a.level !== 'INFO').length;
    const byId = new Map<string, DemoAnomaly[]>();
    for (const a of inRange) if (a.alertId) byId.set(a.alertId, [...(byId.get(a.alertId) ?? []), a]);
    return {
      from,
      to,
      summary: {
        anomalies: inRange.length,
        sent: n('sent'),
        grouped: n('grouped'),
        deduplicated: n('deduplicated'),
        rateLimited: n('rate-limited'),
        suppressed: n('suppressed'),
        belowSeverity: n('below-severity'),
        pending: n('pending'),
        failed: n('failed'),
        conversionRate: paging ? (n('sent') + n('grouped')) / paging : 0,
      },
      alerts: [...byId.entries()].map(([alertId, list]) => ({
        alertId,
        ts: Math.min(...list.map((a) => a.ts)),
        level: list[0]!.level,
        series: [...new Set(list.map((a) => a.series))],
        labels: [...new Set(list.map((a) => a.series))].map(
          (id) => this.series.find((x) => x.id === id)!.label,
        ),
        anomalies: list.length,
        state: list[0]!.ts > this.now - 30 * MIN ? 'open' : 'resolved',
        marked: list.filter((a) => a.feedback !== undefined).length,
      })),
    };
  }

  models() {
    const t = this.now;
    const drift = (status: string, statistic: number, pValue: number) => ({
      status,
      reason: status === 'drift' ? `K-S ${statistic} > critical value` : 'distributions agree',
      statistic,
      pValue,
      adjustedPValue: Math.min(1, pValue * 3),
      nBaseline: 43_200,
      nRecent: 2_880,
      baselineWindow: [t - 8 * 24 * HOUR, t - 24 * HOUR],
      recentWindow: [t - 24 * HOUR, t],
      checkedAt: t - 10 * MIN,
    });
    return {
      models: [
        {
          model: 'churn-v3',
          predictions24h: 28_800,
          predictions7d: 201_600,
          accuracy24h: 0.912,
          accuracy7d: 0.924,
          drift: drift('ok', 0.012, 0.41),
        },
        {
          model: 'fraud-score',
          predictions24h: 86_400,
          predictions7d: 590_000,
          accuracy24h: 0.71,
          accuracy7d: 0.86,
          drift: drift('drift', 0.183, 1e-14),
          // Scores moved up: the recent CDF sits right of the baseline's.
          quantiles: [0.05, 0.25, 0.5, 0.75, 0.95].map((q, i) => ({
            q,
            before: 0.1 + i * 0.15,
            after: 0.2 + i * 0.17,
          })),
          history: Array.from({ length: 12 }, (_, i) => ({
            at: t - (11 - i) * 24 * HOUR,
            status: i > 8 ? 'drift' : 'ok',
            statistic: 0.02 + (i > 8 ? 0.16 : 0.005 * i),
            accuracy24h: 0.88 - (i > 8 ? 0.15 : 0.002 * i),
          })),
        },
        {
          model: `model ${XSS_LABEL}`,
          predictions24h: 120,
          predictions7d: 900,
          accuracy24h: null,
          accuracy7d: null,
          drift: {
            ...drift('insufficient', 0, 0),
            reason: 'only 120 recent predictions (need 500)',
            statistic: null,
            pValue: null,
            adjustedPValue: null,
          },
        },
      ],
      infra: { status: 'ok', anomalyRate: 0.0029, expectedRate: 0.005, ratio: 0.58, checkedAt: t - 10 * MIN },
      infraHistory: Array.from({ length: 12 }, (_, i) => ({
        at: t - (11 - i) * 24 * HOUR,
        rate: 0.003 + 0.0004 * (i % 3),
        expectedRate: 0.005,
      })),
      lastRun: t - 10 * MIN,
    };
  }

  view(t: Threshold) {
    return { ...t, sensitivity: Math.round((1 + t.adjustment) * 1000) / 1000 };
  }

  mark(series: string, ts: number, label: string | undefined, reason: string | undefined, by: string) {
    const a = this.anomalies.find((x) => x.series === series && x.ts === ts);
    if (!a) return null;
    const t = this.thresholds.get(a.metric)!;
    const previous = a.feedback;
    const was = previous?.label;
    if (was === 'false-positive') {
      t.falsePositives--;
      t.fpCount = Math.max(0, t.fpCount - 1);
    }
    if (was === 'confirmed') t.confirmed--;
    if (label === 'false-positive') {
      t.falsePositives++;
      t.fpCount++;
    }
    if (label === 'confirmed') t.confirmed++;
    if (label) a.feedback = { label, ...(reason ? { reason } : {}), by, at: this.now };
    else delete a.feedback;
    const changes: Change[] = [];
    if (t.fpCount >= 5) {
      changes.push(this.change(t, t.adjustment + 0.1, 'fp-count', { kind: 'rule', name: 'fp-count' }));
      t.fpCount = 0;
    }
    return { anomaly: a, previous, state: this.view(t), changes };
  }

  change(
    t: Threshold,
    to: number,
    rule: string,
    actor: { kind: string; name: string },
    extra: Partial<Change> = {},
  ) {
    t.version++;
    const c: Change = {
      id: `${this.now + this.changes.length}-${t.metric}-${t.version}`,
      metric: t.metric,
      version: t.version,
      from: t.adjustment,
      to: Math.round(to * 1000) / 1000,
      rule,
      counts: { falsePositives: t.falsePositives },
      at: this.now + this.changes.length,
      actor,
      ...extra,
    };
    t.adjustment = c.to;
    this.changes.unshift(c);
    return c;
  }
}

// ---- the fixture server ----

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** The dashboard's CSP in AWS and locally (infra/dashboard-site.ts): the SPA must work under it. */
export const CSP = dashboardCsp();

/** A fixture user pool: username → password and groups. */
export type FixtureUsers = Record<string, { readonly password: string; readonly groups: readonly string[] }>;

export interface FixtureOptions {
  /** Built dashboard directory. */
  readonly distDir: string;
  /**
   * With users: config.json says `password` mode, `/local/cognito` answers InitiateAuth like cognito-local
   * (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH) and the API wants a bearer ID token with the `staff` group
   * (401 without or expired, 403 without the group). Without: `{ mode: 'none' }` and an open API.
   */
  readonly users?: FixtureUsers;
  /**
   * `hosted-ui`: config.json points oidc-client-ts at a fake OIDC provider under /oidc (discovery, a
   * login page, a token endpoint that checks PKCE and answers refresh-token grants, /logout), standing in
   * for Cognito's hosted UI. @default 'password'
   */
  readonly mode?: 'password' | 'hosted-ui';
  /** ID token lifetime (ExpiresIn). @default 3600 */
  readonly tokenSeconds?: number;
  readonly refreshSeconds?: number;
  readonly world?: DemoWorld;
}

export interface FixtureServer {
  readonly url: string;
  readonly world: DemoWorld;
  /** Every API request seen, as `METHOD /path?query`. */
  readonly requests: string[];
  /** Bodies of the mutating requests, in order. */
  readonly bodies: unknown[];
  /** InitiateAuth calls (password mode). */
  readonly authCalls: { target: string; flow: string }[];
  /** Hosted-UI mode: what the fake provider saw (authorize parameters, token grants, logouts). */
  readonly oidc: {
    authorize: Record<string, string>[];
    tokens: { grant: string; pkce?: boolean; clientSecret: boolean }[];
    logouts: Record<string, string>[];
  };
  /** Paths (exact, e.g. `/api/alerts`) that answer 503 until removed. */
  readonly failing: Set<string>;
  /** From now on, every token and refresh token issued so far is refused (password mode): a revoked session. */
  expireSessions(): void;
  close(): Promise<void>;
}

const FIXTURE_CLIENT = 'fixture-client';

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsigned JWT-shaped token: the SPA only reads claims; the fixture API trusts its own tokens. */
function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.fixture`;
}

function claimsOf(
  header: string | undefined,
): { exp: number; issuedMs?: number; 'cognito:groups': string[] } | null {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.fixture$/.exec(header ?? '');
  if (!m) return null;
  try {
    return JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/** Serve dist + config.json + the fixture API on 127.0.0.1 (a free port). */
export async function startFixtureServer(opts: FixtureOptions): Promise<FixtureServer> {
  const world = opts.world ?? new DemoWorld();
  const requests: string[] = [];
  const bodies: unknown[] = [];
  const authCalls: { target: string; flow: string }[] = [];
  const failing = new Set<string>();
  /** Tokens and refresh tokens issued before this are refused (expireSessions). */
  let sessionsValidFrom = 0;
  const oidcLog: FixtureServer['oidc'] = { authorize: [], tokens: [], logouts: [] };
  const root = normalize(opts.distDir);

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const q = url.searchParams;
    requests.push(`${method} ${path}${url.search}`);
    if (failing.has(path))
      return json(res, 503, { error: 'A backing service failed; try again', field: null });
    if (opts.users) {
      const claims = claimsOf(req.headers.authorization);
      if (!claims || claims.exp * 1000 <= Date.now() || (claims.issuedMs ?? 0) < sessionsValidFrom) {
        return json(res, 401, { error: 'Sign in first', field: 'authorization' });
      }
      if (!claims['cognito:groups'].includes('staff')) {
        return json(res, 403, { error: 'Forbidden: the staff group is required', field: null });
      }
    }
    const num = (k: string, d: number): number => (q.has(k) ? Number(q.get(k)) : d);
    const to = num('to', world.now);
    const from = num('from', to - 24 * HOUR);
    const pointsOf = /^\/api\/series\/([^/]+)\/points$/.exec(path);
    const alertFeedback = /^\/api\/alerts\/([^/]+)\/feedback$/.exec(path);
    const thresholdOf = /^\/api\/thresholds\/([a-z0-9_]+)$/.exec(path);
    const revertOf = /^\/api\/threshold-changes\/([^/]+)\/revert$/.exec(path);
    const windowOf = /^\/api\/maintenance-windows\/([^/]+)$/.exec(path);
    if (method === 'GET' && path === '/api/health') return json(res, 200, world.health());
    if (method === 'GET' && pointsOf) {
      const r = world.points(decodeURIComponent(pointsOf[1]!), from, to, num('maxPoints', 500));
      return r ? json(res, 200, r) : json(res, 404, { error: 'No such series', field: 'id' });
    }
    if (method === 'GET' && path === '/api/anomalies') {
      const sevs = ['low', 'medium', 'high', 'critical'];
      const min = q.get('severity') ? sevs.indexOf(q.get('severity')!) : 0;
      const items = world.anomalies.filter(
        (a) =>
          a.ts >= from &&
          a.ts <= to &&
          sevs.indexOf(a.severity) >= min &&
          (!q.get('series') || a.series === q.get('series')) &&
          (!q.get('method') || a.methods.includes(q.get('method')!)),
      );
      const limit = num('limit', 100);
      const start = q.get('cursor') ? Number(q.get('cursor')) : 0;
      const page = items.slice(start, start + limit);
      return json(res, 200, {
        items: page,
        ...(start + limit < items.length ? { nextCursor: String(start + limit) } : {}),
      });
    }
    if (method === 'GET' && path === '/api/alerts') return json(res, 200, world.alerts(from, to));
    if (method === 'GET' && path === '/api/models') return json(res, 200, world.models());
    if (path === '/api/anomalies/feedback' && (method === 'PUT' || method === 'DELETE')) {
      const body = method === 'PUT' ? ((await readBody(req)) as Record<string, unknown>) : null;
      bodies.push(body ?? { series: q.get('series'), ts: q.get('ts') });
      const series = String(body?.series ?? q.get('series'));
      const ts = Number(body?.ts ?? q.get('ts'));
      const r = world.mark(
        series,
        ts,
        body?.label as string | undefined,
        body?.reason as string | undefined,
        'fixture-staff',
      );
      return r ? json(res, 200, r) : json(res, 404, { error: `No anomaly ${series} at ${ts}`, field: 'ts' });
    }
    if (alertFeedback && (method === 'PUT' || method === 'DELETE')) {
      const id = decodeURIComponent(alertFeedback[1]!);
      const body = method === 'PUT' ? ((await readBody(req)) as Record<string, unknown>) : {};
      bodies.push({ alertId: id, ...body });
      const list = world.anomalies.filter((a) => a.alertId === id);
      const states = list.map(
        (a) =>
          world.mark(a.series, a.ts, body.label as string | undefined, undefined, 'fixture-staff')!.state,
      );
      return json(res, 200, { alertId: id, anomalies: list, states, changes: [] });
    }
    if (method === 'GET' && path === '/api/thresholds') {
      return json(res, 200, { policy: {}, items: [...world.thresholds.values()].map((t) => world.view(t)) });
    }
    if (method === 'GET' && thresholdOf) {
      const t = world.thresholds.get(thresholdOf[1]!);
      if (!t)
        return json(res, 404, {
          error: `No configured series has metric ${thresholdOf[1]}`,
          field: 'metric',
        });
      return json(res, 200, {
        ...world.view(t),
        recentChanges: world.changes.filter((c) => c.metric === t.metric).slice(0, 5),
        policy: {},
      });
    }
    if (method === 'GET' && path === '/api/threshold-changes') {
      const list = world.changes.filter((c) => !q.get('metric') || c.metric === q.get('metric'));
      const limit = num('limit', 20);
      const start = q.get('cursor') ? list.findIndex((c) => c.id === q.get('cursor')) + 1 : 0;
      const page = list.slice(start, start + limit);
      return json(res, 200, {
        items: page,
        ...(start + limit < list.length ? { nextCursor: page.at(-1)!.id } : {}),
      });
    }
    if (method === 'POST' && revertOf) {
      const body = (await readBody(req)) as Record<string, unknown>;
      bodies.push(body);
      const target = world.changes.find((c) => c.id === decodeURIComponent(revertOf[1]!));
      if (!target) return json(res, 404, { error: 'No threshold change', field: 'id' });
      const t = world.thresholds.get(target.metric)!;
      if (t.adjustment === target.from)
        return json(res, 409, { error: 'Already at that value', field: null });
      const reason = body.reason as string | undefined;
      const c = world.change(
        t,
        target.from,
        'revert',
        { kind: 'person', name: 'fixture-staff' },
        {
          revertOf: target.id,
          ...(reason ? { reason } : {}),
        },
      );
      return json(res, 201, c);
    }
    if (method === 'GET' && path === '/api/maintenance-windows')
      return json(res, 200, { items: world.windows });
    if (method === 'POST' && path === '/api/maintenance-windows') {
      const body = (await readBody(req)) as Record<string, unknown>;
      bodies.push(body);
      if (typeof body.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(body.id)) {
        return json(res, 400, { error: 'Invalid body', field: 'id' });
      }
      world.windows = [...world.windows.filter((w) => w.id !== body.id), body];
      return json(res, 201, body);
    }
    if (method === 'DELETE' && windowOf) {
      const id = decodeURIComponent(windowOf[1]!);
      const before = world.windows.length;
      world.windows = world.windows.filter((w) => w.id !== id);
      bodies.push({ deleted: id });
      return before === world.windows.length
        ? json(res, 404, { error: `No maintenance window ${id}`, field: 'id' })
        : json(res, 204, undefined);
    }
    return json(res, 404, { error: `No route ${method} ${path}`, field: 'path' });
  };

  const tokenSeconds = opts.tokenSeconds ?? 3600;
  const cognito = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = (await readBody(req)) as {
      AuthFlow?: string;
      ClientId?: string;
      AuthParameters?: Record<string, string>;
    };
    authCalls.push({ target: String(req.headers['x-amz-target']), flow: String(body.AuthFlow) });
    const fail = (type: string, message: string) => json(res, 400, { __type: type, message });
    if (req.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.RevokeToken') {
      return json(res, 200, {});
    }
    if (req.headers['x-amz-target'] !== 'AWSCognitoIdentityProviderService.InitiateAuth') {
      return fail('InvalidAction', 'Unsupported target');
    }
    if (body.ClientId !== FIXTURE_CLIENT) return fail('ResourceNotFoundException', 'Unknown client');
    let username: string | undefined;
    if (body.AuthFlow === 'USER_PASSWORD_AUTH') {
      const u = body.AuthParameters?.USERNAME ?? '';
      if (opts.users?.[u]?.password !== body.AuthParameters?.PASSWORD) {
        return fail('NotAuthorizedException', 'Incorrect username or password.');
      }
      username = u;
    } else if (body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
      const r = body.AuthParameters?.REFRESH_TOKEN ?? '';
      const [, name, issued] = /^refresh:(.+):(\d+)$/.exec(r) ?? [];
      username = Number(issued) >= sessionsValidFrom ? name : undefined;
      if (!username || !opts.users?.[username]) {
        return fail('NotAuthorizedException', 'Refresh Token has been revoked');
      }
    } else {
      return fail('InvalidParameterException', 'Unsupported AuthFlow');
    }
    const idToken = fakeJwt({
      sub: `sub-${username}`,
      'cognito:username': username,
      'cognito:groups': [...opts.users![username]!.groups],
      token_use: 'id',
      exp: Math.floor(Date.now() / 1000) + tokenSeconds,
      issuedMs: Date.now(),
    });
    return json(res, 200, {
      AuthenticationResult: {
        IdToken: idToken,
        AccessToken: idToken,
        ExpiresIn: tokenSeconds,
        TokenType: 'Bearer',
        ...(body.AuthFlow === 'USER_PASSWORD_AUTH'
          ? { RefreshToken: `refresh:${username}:${Date.now()}` }
          : {}),
      },
    });
  };

  // ---- a fake OIDC provider: Cognito's hosted UI as oidc-client-ts sees it ----
  const codes = new Map<
    string,
    { username: string; challenge: string; redirectUri: string; nonce?: string }
  >();
  const idTokenFor = (site: string, username: string, nonce?: string): string =>
    fakeJwt({
      iss: `${site}oidc`,
      aud: FIXTURE_CLIENT,
      sub: `sub-${username}`,
      'cognito:username': username,
      'cognito:groups': [...opts.users![username]!.groups],
      token_use: 'id',
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + tokenSeconds,
      issuedMs: Date.now(),
      ...(nonce ? { nonce } : {}),
    });
  const page = (res: ServerResponse, html: string): void => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
  };
  const esc = (t: string): string => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const oidc = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const site = `http://${req.headers.host}/`;
    const q = url.searchParams;
    switch (url.pathname) {
      case '/oidc/.well-known/openid-configuration':
        return json(res, 200, {
          issuer: `${site}oidc`,
          authorization_endpoint: `${site}oidc/authorize`,
          token_endpoint: `${site}oidc/token`,
          jwks_uri: `${site}oidc/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['none'],
          code_challenge_methods_supported: ['S256'],
        });
      case '/oidc/jwks':
        return json(res, 200, { keys: [] });
      case '/oidc/authorize': {
        oidcLog.authorize.push(Object.fromEntries(q));
        // The hosted UI's login page: a plain form (no script), posting back to the provider.
        const hidden = [
          'client_id',
          'redirect_uri',
          'state',
          'code_challenge',
          'code_challenge_method',
          'nonce',
        ]
          .filter((k) => q.has(k))
          .map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k)!)}">`)
          .join('');
        return page(
          res,
          `<!doctype html><title>Fixture hosted UI</title><link rel="icon" href="data:,"><form method="post" action="/oidc/login">${hidden}` +
            '<label>Username <input name="username" id="hosted-username"></label>' +
            '<label>Password <input name="password" type="password" id="hosted-password"></label>' +
            '<button type="submit" id="hosted-submit">Sign in</button></form>',
        );
      }
      case '/oidc/login': {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const f = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const username = f.get('username') ?? '';
        if (opts.users?.[username]?.password !== f.get('password') || f.get('client_id') !== FIXTURE_CLIENT) {
          return page(
            res,
            '<!doctype html><title>Fixture hosted UI</title><link rel="icon" href="data:,"><p id="hosted-error">Incorrect username or password.</p>',
          );
        }
        const code = `code-${Math.random().toString(36).slice(2)}`;
        codes.set(code, {
          username,
          challenge: f.get('code_challenge') ?? '',
          redirectUri: f.get('redirect_uri') ?? '',
          ...(f.get('nonce') ? { nonce: f.get('nonce')! } : {}),
        });
        const back = new URL(f.get('redirect_uri') ?? site);
        back.searchParams.set('code', code);
        back.searchParams.set('state', f.get('state') ?? '');
        res.writeHead(302, { Location: back.toString() });
        res.end();
        return;
      }
      case '/oidc/token': {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const f = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const clientSecret = f.has('client_secret') || /^Basic /.test(req.headers.authorization ?? '');
        const grant = f.get('grant_type') ?? '';
        let username: string | undefined;
        let nonce: string | undefined;
        if (grant === 'authorization_code') {
          const c = codes.get(f.get('code') ?? '');
          codes.delete(f.get('code') ?? '');
          const verifier = f.get('code_verifier') ?? '';
          const pkce = !!c && createHash('sha256').update(verifier).digest('base64url') === c.challenge;
          oidcLog.tokens.push({ grant, pkce, clientSecret });
          if (!c || !pkce || c.redirectUri !== f.get('redirect_uri'))
            return json(res, 400, { error: 'invalid_grant' });
          username = c.username;
          nonce = c.nonce;
        } else if (grant === 'refresh_token') {
          oidcLog.tokens.push({ grant, clientSecret });
          const r = f.get('refresh_token') ?? '';
          username = r.startsWith('refresh:') ? r.slice(8) : undefined;
          if (!username || !opts.users?.[username]) return json(res, 400, { error: 'invalid_grant' });
        } else {
          return json(res, 400, { error: 'unsupported_grant_type' });
        }
        const idToken = idTokenFor(site, username, nonce);
        return json(res, 200, {
          id_token: idToken,
          access_token: idToken,
          token_type: 'Bearer',
          expires_in: tokenSeconds,
          ...(grant === 'authorization_code' ? { refresh_token: `refresh:${username}` } : {}),
        });
      }
      case '/oidc/logout': {
        oidcLog.logouts.push(Object.fromEntries(q));
        res.writeHead(302, { Location: q.get('logout_uri') ?? site });
        res.end();
        return;
      }
      default:
        return json(res, 404, { error: 'Not found', field: 'path' });
    }
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    for (const [k, v] of Object.entries({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    }))
      res.setHeader(k, v);
    const run = async (): Promise<void> => {
      if (url.pathname.startsWith('/api/')) return api(req, res, url);
      if (url.pathname === '/local/cognito' && opts.users && opts.mode !== 'hosted-ui')
        return cognito(req, res);
      if (url.pathname.startsWith('/oidc/') && opts.users && opts.mode === 'hosted-ui')
        return oidc(req, res, url);
      if (url.pathname === '/config.json') {
        const site = `http://${req.headers.host}/`;
        const auth = !opts.users
          ? { mode: 'none' }
          : opts.mode === 'hosted-ui'
            ? {
                mode: 'hosted-ui',
                authority: `${site}oidc`,
                clientId: FIXTURE_CLIENT,
                domain: `${site}oidc`,
                redirectUri: site,
                logoutUri: site,
              }
            : {
                mode: 'password',
                endpoint: '/local/cognito',
                clientId: FIXTURE_CLIENT,
                userPoolId: 'local_fixture',
              };
        return json(res, 200, { apiBaseUrl: '', refreshSeconds: opts.refreshSeconds ?? 60, auth });
      }
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      const file = normalize(join(root, rel));
      if (!file.startsWith(root + sep)) return json(res, 400, { error: 'Bad path', field: 'path' });
      try {
        const data = await readFile(file);
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(data);
      } catch {
        json(res, 404, { error: 'Not found', field: 'path' });
      }
    };
    run().catch((e: unknown) => json(res, 500, { error: String(e), field: null }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    world,
    requests,
    bodies,
    authCalls,
    oidc: oidcLog,
    failing,
    expireSessions: () => {
      sessionsValidFrom = Date.now() + 1;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

// ---- driving the dashboard ----

export const VIEWS = ['health', 'anomalies', 'models', 'drift', 'alerts', 'settings'] as const;
export type DashboardView = (typeof VIEWS)[number];

/** Wait until the main area shows `view` rendered from data (or fail with the page's error text). */
export async function waitForView(page: Page, view: DashboardView, timeout = 15_000): Promise<void> {
  const ready = `main[data-view="${view}"][data-state="ready"]`;
  const failed = 'main[data-state="error"], main[data-state="forbidden"]';
  await page.waitForSelector(`${ready}, ${failed}`, { timeout });
  if (!(await page.$(ready))) {
    throw new Error(`View ${view} did not render: ${(await page.textContent('main'))?.slice(0, 500)}`);
  }
}

/** Go to a view the way a user does: its link in the navigation. */
export async function openView(page: Page, view: DashboardView): Promise<void> {
  await page.click(`nav a[data-view="${view}"]`);
  await waitForView(page, view);
}

/** Fill and submit the password sign-in form (local mode). */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.waitForSelector('form.signin #username');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('form.signin button[type="submit"]');
}

// ---- the real local stack (`npm start`) ----

export interface StackUser {
  readonly username: string;
  readonly password: string;
}

export interface LocalStack {
  readonly url: string;
  readonly staff: StackUser;
  readonly nonStaff: StackUser;
  /** Everything the stack printed so far. */
  output(): string;
  /** Ctrl-C the stack (its whole process group) and remove its data directory. */
  stop(): Promise<void>;
}

/**
 * Start the local stack as a user would (`npm start -- --port 0 --seed-demo --users-file … --data-dir …`)
 * in its own process group, wait for its `Dashboard: http://127.0.0.1:<port>/` line, read the seeded
 * users. @throws with the stack's output when it exits or does not come up in time
 */
export async function startLocalStack(
  extraArgs: readonly string[] = [],
  timeoutMs = 120_000,
): Promise<LocalStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-stack-'));
  const usersFile = join(dir, 'users.json');
  const run = npmStart([
    '--port',
    '0',
    '--seed-demo',
    '--users-file',
    usersFile,
    '--data-dir',
    join(dir, 'data'),
    ...extraArgs,
  ]);
  const { child, exited, signal } = run;
  const stop = async (): Promise<void> => {
    signal('SIGINT');
    const timer = setTimeout(() => signal('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const readUsers = (): { staff: StackUser; nonStaff: StackUser } | undefined => {
    try {
      const u = JSON.parse(readFileSync(usersFile, 'utf8')) as { staff?: StackUser; nonStaff?: StackUser };
      return u.staff && u.nonStaff ? { staff: u.staff, nonStaff: u.nonStaff } : undefined;
    } catch {
      return undefined; // not written yet, or half written
    }
  };
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  let users: { staff: StackUser; nonStaff: StackUser } | undefined;
  while (Date.now() < deadline) {
    url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.output())?.[1];
    users = url ? readUsers() : undefined;
    if (url && users) break;
    if (child.exitCode !== null || child.signalCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!url || !users) {
    await stop();
    throw new Error(
      `The local stack did not start (no Dashboard URL or users file); output:\n${run.output()}`,
    );
  }
  return { url, staff: users.staff, nonStaff: users.nonStaff, output: run.output, stop };
}
