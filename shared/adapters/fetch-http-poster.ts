// (adapter) --> HttpPoster port over Node's fetch: one POST with a timeout; any status resolves (the use
// case decides what to retry), a network fault or timeout throws DependencyError.
import { DependencyError } from '../errors';
import type { HttpPoster, HttpResponse } from '../ports';

/** Settings of the fetch poster. */
export interface FetchHttpPosterOptions {
  /** Per-request timeout. @default 10_000 */
  readonly timeoutMs?: number;
  /** Longest response text kept (for logs). @default 2000 */
  readonly maxBodyChars?: number;
}

/** POST with fetch. */
export class FetchHttpPoster implements HttpPoster {
  public constructor(private readonly options: FetchHttpPosterOptions = {}) {}

  public async post(
    url: string,
    body: string,
    headers: Readonly<Record<string, string>>,
  ): Promise<HttpResponse> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body,
        headers: { ...headers },
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (cause) {
      throw new DependencyError(`POST ${new URL(url).origin} failed: ${(cause as Error).message}`, { cause });
    }
    const text = await response.text().catch(() => '');
    return { status: response.status, body: text.slice(0, this.options.maxBodyChars ?? 2000) };
  }
}
