// The official Cloudflare SDK (`cloudflare` on npm), configured for the publisher. Retries are the
// SDK's own: 408/409/429/5xx and network failures, waiting what retry-after-ms or Retry-After asks,
// otherwise backing off from 0.5 s to 8 s. This module adds what the SDK lacks: a bound on how long a
// Retry-After may hold a publish, a log line per failed attempt, and one-line errors without the token.
import Cloudflare, { APIConnectionError, APIError } from 'cloudflare';

export const DEFAULT_API_BASE = 'https://api.cloudflare.com/client/v4';

export interface CloudflareClientOptions {
  accountId: string;
  apiToken: string;
  /** Overridable so tests can point the SDK at the local fake API. */
  baseUrl?: string;
  /** Retries after the first attempt (the SDK's maxRetries). */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited out: the call fails at once and says so. */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
  log?: (message: string) => void;
}

const retryable = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

export class CloudflareClient {
  readonly sdk: Cloudflare;
  readonly accountId: string;
  readonly #token: string;
  readonly #attempts: number;

  constructor(options: CloudflareClientOptions) {
    if (!options.accountId) throw new Error('Cloudflare account id is empty');
    if (!options.apiToken) throw new Error('Cloudflare API token is empty');
    this.accountId = options.accountId;
    this.#token = options.apiToken;
    const maxRetries = options.maxRetries ?? 5;
    this.#attempts = maxRetries + 1;
    const log = options.log ?? (() => {});
    const maxRetryAfterMs = options.maxRetryAfterMs ?? 330_000; // the API's own block lasts five minutes

    // The SDK obeys `x-should-retry: false`; set on an answer whose Retry-After is too long, it ends the call.
    const boundedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await fetch(input, init);
      if (!retryable(response.status)) return response;
      const waitMs = parseRetryAfter(response.headers.get('retry-after-ms'), response.headers.get('retry-after'));
      const headers = new Headers(response.headers);
      if (waitMs !== null && waitMs > maxRetryAfterMs) {
        headers.set('x-should-retry', 'false');
        headers.set(
          'x-refused-wait',
          `Retry-After ${Math.round(waitMs / 1000)}s exceeds the ${Math.round(maxRetryAfterMs / 1000)}s this client waits`,
        );
      } else {
        const attempt = Number(new Headers(init?.headers).get('x-stainless-retry-count') ?? 0) + 1;
        const url = new URL(input instanceof Request ? input.url : input);
        const where = url.search.includes('Signature') ? `${url.origin}/<presigned upload>` : url.pathname;
        const wait = waitMs === null ? '' : ` (Retry-After ${(waitMs / 1000).toFixed(2)}s)`;
        log(this.redact(`  ${init?.method ?? 'GET'} ${where}: HTTP ${response.status} on attempt ${attempt} of ${this.#attempts}${wait}`));
      }
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    };

    this.sdk = new Cloudflare({
      apiToken: options.apiToken,
      // Explicit nulls, or the SDK takes CLOUDFLARE_API_KEY / CLOUDFLARE_EMAIL from the environment too.
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL: (options.baseUrl ?? DEFAULT_API_BASE).replace(/\/+$/, ''),
      maxRetries,
      timeout: options.timeoutMs ?? 120_000,
      logLevel: 'off',
      fetch: boundedFetch,
    });
  }

  /** Runs one SDK call; a failure becomes one line naming the operation, the token redacted. 404 -> `onNotFound` if given. */
  async call<T, N = never>(label: string, operation: () => PromiseLike<T>, onNotFound?: () => N): Promise<T | N> {
    try {
      return await operation();
    } catch (err) {
      if (onNotFound && err instanceof APIError && err.status === 404) return onNotFound();
      throw new Error(this.redact(`${label} failed: ${this.#describe(err)}`));
    }
  }

  /** Removes the token from any text that might leave this module. */
  redact(text: string): string {
    return text.split(this.#token).join('<redacted>');
  }

  #describe(err: unknown): string {
    if (err instanceof APIError && err.status !== undefined && !(err instanceof APIConnectionError)) {
      const errors = err.errors ?? [];
      const detail =
        errors.length > 0
          ? errors.map((e) => `[${e.code}] ${e.message}`).join('; ')
          : JSON.stringify(err.error ?? 'no error detail').slice(0, 300);
      const refused = err.headers?.get('x-refused-wait');
      return `HTTP ${err.status} ${detail}${refused ? ` (${refused})` : retryable(err.status) && this.#attempts > 1 ? ` (after ${this.#attempts} attempts)` : ''}`;
    }
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return err instanceof APIConnectionError ? `${message} (after ${this.#attempts} attempts)` : message;
  }
}

/** retry-after-ms, else Retry-After as delay-seconds or an HTTP date (RFC 9110 section 10.2.3); null when absent or unreadable. */
export function parseRetryAfter(retryAfterMs: string | null, retryAfter: string | null, now = Date.now()): number | null {
  const ms = retryAfterMs === null ? NaN : Number(retryAfterMs);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = retryAfter?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
