// A small client for Cloudflare's REST API (v4): bearer token, the {success, errors, messages, result}
// envelope, and bounded retries with exponential backoff and jitter on 429/5xx and network failures,
// honouring Retry-After. The token only ever travels in the Authorization header to the API base URL:
// it is redacted from every error and log line, and never sent to presigned upload URLs.

export const DEFAULT_API_BASE = 'https://api.cloudflare.com/client/v4';

export interface CloudflareApiOptions {
  accountId: string;
  apiToken: string;
  /** Overridable so tests can point the client at a local fake. */
  baseUrl?: string;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  /** First backoff step; doubles per attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited out: the request fails instead of hanging for it. */
  maxRetryAfterMs?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  log?: (message: string) => void;
  /** Injectable for tests (deterministic jitter, recorded waits). */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CloudflareErrorItem {
  code: number;
  message: string;
}

export class CloudflareApiError extends Error {
  override name = 'CloudflareApiError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly errors: CloudflareErrorItem[],
    readonly attempts: number,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  success: boolean;
  errors: CloudflareErrorItem[];
  messages: unknown[];
  result: T;
}

interface Attempted {
  response: Response;
  bytes: Uint8Array;
  attempts: number;
}

const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;

export class CloudflareApi {
  readonly accountId: string;
  readonly baseUrl: string;
  readonly #token: string;
  readonly #opts: Required<Omit<CloudflareApiOptions, 'accountId' | 'apiToken' | 'baseUrl'>>;

  constructor(options: CloudflareApiOptions) {
    if (!options.accountId) throw new Error('Cloudflare account id is empty');
    if (!options.apiToken) throw new Error('Cloudflare API token is empty');
    this.accountId = options.accountId;
    this.#token = options.apiToken;
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_BASE).replace(/\/+$/, '');
    this.#opts = {
      maxAttempts: options.maxAttempts ?? 6,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 330_000, // the API's own block lasts five minutes
      timeoutMs: options.timeoutMs ?? 120_000,
      log: options.log ?? (() => {}),
      random: options.random ?? Math.random,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  /** Path under the account, e.g. account('/storage/kv/namespaces'). */
  account(path: string): string {
    return `/accounts/${encodeURIComponent(this.accountId)}${path}`;
  }

  /** A JSON API call; returns the envelope's `result`, throws CloudflareApiError on failure. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: this.#headers(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const { response, bytes, attempts } = await this.#withRetries(`${method} ${path}`, (signal) =>
      fetch(this.baseUrl + path, { ...init, body: payload, signal }),
    );
    const envelope = parseEnvelope<T>(bytes);
    if (!response.ok || !envelope || envelope.success !== true) {
      throw this.#error(`${method} ${path}`, response.status, envelope?.errors ?? [], attempts, envelope ? '' : bytes);
    }
    return envelope.result;
  }

  /** A raw read (KV values are returned as bytes, not in an envelope). null on 404. */
  async getBytes(path: string): Promise<Uint8Array | null> {
    const { response, bytes, attempts } = await this.#withRetries(`GET ${path}`, (signal) =>
      fetch(this.baseUrl + path, { method: 'GET', headers: this.#headers({}), signal }),
    );
    if (response.status === 404) return null;
    if (!response.ok) {
      throw this.#error(`GET ${path}`, response.status, parseEnvelope(bytes)?.errors ?? [], attempts, bytes);
    }
    return bytes;
  }

  /**
   * PUT to a presigned URL (D1 import uploads to R2). Retried like API calls, but without the API
   * token: the URL's own signature authorizes it. Returns the response headers.
   */
  async putPresigned(url: string, body: Uint8Array): Promise<Headers> {
    const label = `PUT ${new URL(url).origin}/<presigned upload>`;
    const { response, bytes, attempts } = await this.#withRetries(label, (signal) =>
      fetch(url, { method: 'PUT', body, signal }),
    );
    if (!response.ok) throw this.#error(label, response.status, [], attempts, bytes);
    return response.headers;
  }

  /** Removes the token from any text that might leave this module. */
  redact(text: string): string {
    return this.#token ? text.split(this.#token).join('<redacted>') : text;
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { authorization: `Bearer ${this.#token}`, ...extra };
  }

  async #withRetries(label: string, send: (signal: AbortSignal) => Promise<Response>): Promise<Attempted> {
    const { maxAttempts } = this.#opts;
    for (let attempt = 1; ; attempt++) {
      let response: Response | null = null;
      let bytes = new Uint8Array();
      let failure = '';
      try {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), this.#opts.timeoutMs);
        try {
          response = await send(controller.signal);
          bytes = new Uint8Array(await response.arrayBuffer());
        } finally {
          clearTimeout(timer);
        }
      } catch (err) {
        failure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (response && !RETRYABLE_STATUS(response.status)) return { response, bytes, attempts: attempt };

      const reason = response ? `HTTP ${response.status}` : `network error (${failure})`;
      if (attempt >= maxAttempts) {
        if (response) return { response, bytes, attempts: attempt };
        throw new CloudflareApiError(this.redact(`${label} failed after ${attempt} attempts: ${reason}`), null, [], attempt);
      }
      const retryAfterMs = response ? parseRetryAfter(response.headers.get('retry-after')) : null;
      if (retryAfterMs !== null && retryAfterMs > this.#opts.maxRetryAfterMs) {
        throw this.#error(label, response!.status, parseEnvelope(bytes)?.errors ?? [], attempt, bytes,
          ` (Retry-After ${Math.round(retryAfterMs / 1000)}s exceeds the ${Math.round(this.#opts.maxRetryAfterMs / 1000)}s this client waits)`);
      }
      const wait = retryAfterMs ?? this.#backoff(attempt);
      this.#opts.log(this.redact(`  ${label}: ${reason}, retry ${attempt}/${maxAttempts - 1} in ${(wait / 1000).toFixed(2)}s${retryAfterMs !== null ? ' (Retry-After)' : ''}`));
      await this.#opts.sleep(wait);
    }
  }

  /** "Equal jitter": half the exponential step fixed, half random, so waits grow but never synchronize. */
  #backoff(attempt: number): number {
    const step = Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** (attempt - 1));
    return step / 2 + this.#opts.random() * (step / 2);
  }

  #error(label: string, status: number, errors: CloudflareErrorItem[], attempts: number, rawBody: Uint8Array | '', suffix = ''): CloudflareApiError {
    const detail = errors.length > 0
      ? errors.map((e) => `[${e.code}] ${e.message}`).join('; ')
      : rawBody && rawBody.byteLength > 0 ? new TextDecoder().decode(rawBody.subarray(0, 300)).replace(/\s+/g, ' ') : 'no error detail';
    const message = `${label} failed: HTTP ${status} ${detail}${suffix}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`;
    return new CloudflareApiError(this.redact(message), status, errors.map((e) => ({ code: e.code, message: this.redact(String(e.message)) })), attempts);
  }
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 section 10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function parseEnvelope<T>(bytes: Uint8Array): Envelope<T> | null {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes));
    return parsed && typeof parsed === 'object' && 'success' in parsed ? (parsed as Envelope<T>) : null;
  } catch {
    return null;
  }
}
