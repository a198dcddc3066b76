/**
 * One documented route. Each area of the API declares its operations next to its schemas
 * (each resource folder's operations.ts, gathered in api/openapi/operations.ts) and api/openapi/generate.ts turns them into the OpenAPI document.
 * What a declaration states is checked against the app by api/openapi/openapi.test.ts.
 */
import type { z } from 'zod';
import type { Scope } from '../../lib/api-keys';

/** A schema shown as `#/components/schemas/<id>`. */
export interface NamedSchema {
  id: string;
  schema: z.ZodType;
}

export const named = (id: string, schema: z.ZodType): NamedSchema => ({ id, schema });

export interface SuccessResponse {
  description: string;
  /** JSON body; a plain zod schema is inlined, a named one becomes a component. */
  body?: NamedSchema | z.ZodType;
  /** Defaults to application/json. */
  mediaType?: string;
  /** Other media types the same answer may come in (chosen by a query parameter, e.g. `text/csv`), each with its schema. */
  alternatives?: Record<string, z.ZodType>;
}

/**
 * The error codes a route answers itself, by status, beyond what every /v1 route and every write answers
 * (api/openapi/error-codes.ts). A status listed here is documented for the route.
 */
export type RouteErrorCodes = Partial<Record<400 | 403 | 404 | 409 | 413 | 415, readonly string[]>>;

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express form, e.g. `/v1/payouts/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /**
   * The API key scope the route checks with requireScope; `any_key` for a /v1 route that checks none
   * (any valid key will do); `public` for routes outside /v1 (no key).
   */
  scope: Scope | 'any_key' | 'public';
  /** Path parameters (one per `:name` in the path). */
  params?: z.ZodObject;
  /** Query parameters: the object the route validates `req.query` with. */
  query?: z.ZodObject;
  body?: NamedSchema;
  /** Other media types the same request may come in (e.g. `multipart/form-data`, `text/csv`), each with its schema. */
  alternativeBodies?: Record<string, NamedSchema>;
  /** The body may be left out, or be JSON `null` (such routes validate `req.body ?? {}`). */
  optionalBody?: boolean;
  responses: Record<number, SuccessResponse>;
  codes?: RouteErrorCodes;
}

/** Writes under /v1 need an Idempotency-Key: api/http/idempotency.ts requireIdempotencyKeyOnWrites checks every non-GET. */
export const needsIdempotencyKey = (operation: Operation): boolean => operation.scope !== 'public' && operation.method !== 'get';

/** `/v1/payouts/:id` → `/v1/payouts/{id}`. */
export const openApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
