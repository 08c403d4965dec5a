// (SPA) the API client: bearer token on every call, one renewal and retry on 401, typed endpoints.
// Errors are classes the shell maps to screens: SignInRequiredError → the sign-in form, ForbiddenError →
// "not in the staff group", ApiError → the view's error state (with the field the API named on 400).

import type {
  AlertMarkResponse,
  AlertsResponse,
  AnomaliesResponse,
  ChangesResponse,
  FeedbackLabel,
  HealthResponse,
  MaintenanceWindow,
  MarkResponse,
  ModelsResponse,
  PointsResponse,
  PreviewResponse,
  Severity,
  ThresholdChange,
  ThresholdDetail,
  ThresholdsResponse,
  WindowsResponse,
} from '../../shared/api/types';
import type { Auth } from './auth';

/** The API refused or failed a request; `field` is the input it named (400), if any. */
export class ApiError extends Error {
  public constructor(
    public readonly status: number,
    message: string,
    public readonly field: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

/** 401 that a token renewal did not fix: the user must sign in again. */
export class SignInRequiredError extends ApiError {
  public constructor() {
    super(401, 'Your session has expired; sign in again');
    this.name = 'SignInRequiredError';
  }
}

/** What the dashboard says on a 403 (contract): the API only refuses staff routes for the group. */
export const FORBIDDEN_MESSAGE = 'Your account is not in the staff group';

/** 403: a valid token without the `staff` group; `detail` is what the API said. */
export class ForbiddenError extends ApiError {
  public constructor(public readonly detail: string | undefined) {
    super(403, FORBIDDEN_MESSAGE);
    this.name = 'ForbiddenError';
  }
}

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** Path segment with `/` and every other reserved character escaped (series ids contain `/`). */
export const seg = (s: string): string => encodeURIComponent(s);

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  public constructor(
    private readonly baseUrl: string,
    private readonly auth: Pick<Auth, 'token' | 'refresh'>,
    private readonly fetchFn: FetchFn = (input, init) => fetch(input, init),
  ) {}

  /** One call; JSON in and out. @throws SignInRequiredError | ForbiddenError | ApiError */
  public async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const first = await this.send(method, path, options);
    const res =
      first.status === 401 && (await this.auth.refresh()) ? await this.send(method, path, options) : first;
    if (res.status === 401) throw new SignInRequiredError();
    let data: unknown = null;
    if (res.status !== 204) {
      const text = await res.text();
      if (text) {
        try {
          data = JSON.parse(text);
        } catch (error) {
          throw new ApiError(
            res.status,
            `The API answered HTTP ${res.status} with something that is not JSON`,
            null,
            {
              cause: error,
            },
          );
        }
      }
    }
    if (res.status === 403) {
      throw new ForbiddenError(messageOf(data));
    }
    if (!res.ok) {
      const field =
        typeof data === 'object' && data !== null && typeof (data as { field?: unknown }).field === 'string'
          ? (data as { field: string }).field
          : null;
      throw new ApiError(res.status, messageOf(data) ?? `The API answered HTTP ${res.status}`, field);
    }
    return data as T;
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = await this.auth.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.fetchFn(`${this.baseUrl}${path}${queryString(options.query)}`, {
        method,
        headers,
        cache: 'no-store',
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'The API could not be reached; check the connection', null, { cause: error });
    }
  }

  // ---- endpoints ----

  public health(signal?: AbortSignal): Promise<HealthResponse> {
    return this.request('GET', '/api/health', { signal });
  }

  public points(
    id: string,
    q: { from?: number; to?: number; maxPoints?: number; band?: boolean },
    signal?: AbortSignal,
  ): Promise<PointsResponse> {
    const { band, ...rest } = q;
    return this.request('GET', `/api/series/${seg(id)}/points`, {
      query: { ...rest, band: band ? 'true' : undefined },
      signal,
    });
  }

  public anomalies(
    q: {
      from?: number;
      to?: number;
      severity?: Severity;
      series?: string;
      method?: string;
      limit?: number;
      cursor?: string;
    },
    signal?: AbortSignal,
  ): Promise<AnomaliesResponse> {
    return this.request('GET', '/api/anomalies', { query: q, signal });
  }

  public alerts(q: { from?: number; to?: number }, signal?: AbortSignal): Promise<AlertsResponse> {
    return this.request('GET', '/api/alerts', { query: q, signal });
  }

  public models(signal?: AbortSignal): Promise<ModelsResponse> {
    return this.request('GET', '/api/models', { signal });
  }

  public markAnomaly(
    series: string,
    ts: number,
    label: FeedbackLabel,
    reason?: string,
  ): Promise<MarkResponse> {
    return this.request('PUT', '/api/anomalies/feedback', {
      body: { series, ts, label, ...(reason ? { reason } : {}) },
    });
  }

  public unmarkAnomaly(series: string, ts: number): Promise<MarkResponse> {
    return this.request('DELETE', '/api/anomalies/feedback', { query: { series, ts } });
  }

  public markAlert(alertId: string, label: FeedbackLabel, reason?: string): Promise<AlertMarkResponse> {
    return this.request('PUT', `/api/alerts/${seg(alertId)}/feedback`, {
      body: { label, ...(reason ? { reason } : {}) },
    });
  }

  public unmarkAlert(alertId: string): Promise<AlertMarkResponse> {
    return this.request('DELETE', `/api/alerts/${seg(alertId)}/feedback`);
  }

  public thresholds(signal?: AbortSignal): Promise<ThresholdsResponse> {
    return this.request('GET', '/api/thresholds', { signal });
  }

  public threshold(metric: string, signal?: AbortSignal): Promise<ThresholdDetail> {
    return this.request('GET', `/api/thresholds/${seg(metric)}`, { signal });
  }

  /** What-if: the last 30 days replayed at the current and at a proposed adjustment. */
  public preview(metric: string, proposed: number, signal?: AbortSignal): Promise<PreviewResponse> {
    return this.request('GET', `/api/thresholds/${seg(metric)}/preview`, {
      query: { adjustment: proposed.toFixed(4) },
      signal,
    });
  }

  /** Set an adjustment by hand: the same audited change as the API's PUT. */
  public setThreshold(metric: string, adjustment: number, reason?: string): Promise<ThresholdChange> {
    return this.request('PUT', `/api/thresholds/${seg(metric)}`, {
      body: reason ? { adjustment, reason } : { adjustment },
    });
  }

  public changes(
    q: { metric?: string; limit?: number; cursor?: string },
    signal?: AbortSignal,
  ): Promise<ChangesResponse> {
    return this.request('GET', '/api/threshold-changes', { query: q, signal });
  }

  public revert(id: string, reason?: string): Promise<ThresholdChange> {
    return this.request('POST', `/api/threshold-changes/${seg(id)}/revert`, {
      body: reason ? { reason } : {},
    });
  }

  public windows(signal?: AbortSignal): Promise<WindowsResponse> {
    return this.request('GET', '/api/maintenance-windows', { signal });
  }

  public putWindow(w: MaintenanceWindow): Promise<MaintenanceWindow> {
    return this.request('POST', '/api/maintenance-windows', { body: w });
  }

  public deleteWindow(id: string): Promise<void> {
    return this.request('DELETE', `/api/maintenance-windows/${seg(id)}`);
  }
}

function messageOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { error?: unknown; message?: unknown };
  if (typeof d.error === 'string') return d.error;
  if (typeof d.message === 'string') return d.message;
  return undefined;
}
