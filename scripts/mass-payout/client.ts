/**
 * The few calls of the mass-payout API the command line and the benchmark make: submit a CSV file
 * (multipart), read the mass payout and its items, approve. Every non-2xx answer becomes an ApiFailure
 * carrying the API's error body; a connection that fails becomes ApiUnreachable. POSTs carry one
 * Idempotency-Key across their retries, so a retried submission never creates a second mass payout.
 */
import { randomUUID } from 'node:crypto';

/** An item status's number of items and their amount (decimal, whole units of the batch's asset). */
export interface StatusTotals {
  count: number;
  amount: string;
}

/** GET /v1/mass-payouts/:id. Only the fields this tool reads are named; the API sends more. */
export interface MassPayoutView {
  id: string;
  status: string;
  network?: string;
  asset?: string;
  item_count: number;
  total_amount: string;
  counts: Partial<Record<string, StatusTotals>>;
  paid_amount?: string;
  transactions?: number;
  network_fee_total?: string;
  failure?: { code?: string; reason?: string; message?: string } | null;
  failure_code?: string | null;
  failure_reason?: string | null;
  [field: string]: unknown;
}

export interface MassPayoutItem {
  seq: number;
  address: string;
  amount: string;
  reference?: string | null;
  status: string;
  tx_hash?: string | null;
  failure?: { code?: string; reason?: string; message?: string } | null;
}

export interface ItemsPage {
  data: MassPayoutItem[];
  next_cursor: string | null;
}

export interface ApiErrorBody {
  type?: string;
  code?: string;
  message?: string;
  fields?: Array<Record<string, unknown>>;
  request_id?: string;
}

/** The API answered, with an error. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiErrorBody,
    readonly path: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${status} ${error.code ?? ''}: ${error.message ?? 'no message'}`);
    this.name = 'ApiFailure';
  }
}

/** Nothing answered: the stack is down, the URL is wrong, or the request timed out. */
export class ApiUnreachable extends Error {
  constructor(
    readonly apiUrl: string,
    readonly reason: string,
  ) {
    super(`${apiUrl}: ${reason}`);
    this.name = 'ApiUnreachable';
  }
}

export interface SubmitCsvInput {
  csv: Buffer;
  fileName: string;
  network: string;
  asset: string;
  purpose: string;
  externalId?: string;
}

export interface ClientOptions {
  /** How often a POST is retried after a 503 or a dropped connection (same Idempotency-Key). */
  postRetries?: number;
  /** Waits between those retries, unless the API names one with Retry-After. */
  retryDelayMs?: number;
  /** Per request; a submission of 100,000 rows takes seconds, so the default is generous. */
  timeoutMs?: number;
}

export class MassPayoutClient {
  private readonly postRetries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly apiUrl: string,
    private readonly key: string,
    options: ClientOptions = {},
  ) {
    this.postRetries = options.postRetries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 600_000;
  }

  /** POST /v1/mass-payouts as multipart/form-data with the file as part `file`. */
  submitCsv(input: SubmitCsvInput, idempotencyKey: string = randomUUID()): Promise<MassPayoutView> {
    return this.post('/v1/mass-payouts', idempotencyKey, () => {
      const form = new FormData();
      form.set('network', input.network);
      form.set('asset', input.asset);
      form.set('purpose', input.purpose);
      if (input.externalId !== undefined) form.set('external_id', input.externalId);
      form.set('file', new Blob([input.csv], { type: 'text/csv' }), input.fileName);
      return form;
    }) as Promise<MassPayoutView>;
  }

  get(massPayoutId: string): Promise<MassPayoutView> {
    return this.request('GET', `/v1/mass-payouts/${encodeURIComponent(massPayoutId)}`) as Promise<MassPayoutView>;
  }

  items(massPayoutId: string, query: { status?: string; limit?: number; cursor?: string } = {}): Promise<ItemsPage> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    const search = params.toString() ? `?${params}` : '';
    return this.request('GET', `/v1/mass-payouts/${encodeURIComponent(massPayoutId)}/items${search}`) as Promise<ItemsPage>;
  }

  /** POST …/approve; answers like the payouts' approve (`result`: approved, needs_more_approvals). */
  approve(massPayoutId: string, idempotencyKey: string = randomUUID()): Promise<Record<string, unknown>> {
    return this.post(`/v1/mass-payouts/${encodeURIComponent(massPayoutId)}/approve`, idempotencyKey) as Promise<Record<string, unknown>>;
  }

  private async post(path: string, idempotencyKey: string, body?: () => FormData): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request('POST', path, { 'Idempotency-Key': idempotencyKey }, body?.());
      } catch (error) {
        // A refused connection never reached the API: retrying cannot help, and `npm start` is the answer.
        const transient =
          (error instanceof ApiFailure && error.status === 503) || (error instanceof ApiUnreachable && !/ECONNREFUSED/.test(error.reason));
        if (!transient || attempt >= this.postRetries) throw error;
        const waitMs = error instanceof ApiFailure && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : this.retryDelayMs;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  private async request(method: string, path: string, headers: Record<string, string> = {}, body?: FormData): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.key}`, Accept: 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ApiUnreachable(this.apiUrl, networkReason(error));
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined)
        throw new ApiFailure(response.status, { code: 'not_json', message: `the answer is not JSON: ${text.slice(0, 200)}` }, path);
      return json;
    }
    const error = (json as { error?: ApiErrorBody } | undefined)?.error ?? { message: text.slice(0, 500) || response.statusText };
    const retryAfter = Number(response.headers.get('Retry-After'));
    throw new ApiFailure(response.status, error, path, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
}

/** The useful part of fetch's "fetch failed": the system error code of its cause, or the timeout. */
function networkReason(error: unknown): string {
  const failure = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string; address?: string; port?: number };
  };
  if (failure.name === 'TimeoutError') return 'no answer in time (timeout)';
  const cause = failure.cause;
  if (cause?.code) return cause.address ? `${cause.code} ${cause.address}${cause.port ? `:${cause.port}` : ''}` : cause.code;
  return failure.cause?.message ?? failure.message ?? String(error);
}
