/**
 * zod's issues as the API's field errors, every bad field at once: an unknown key is named with the keys the input
 * accepts, a missing field says "<field> is required", anything else keeps zod's message (the schema's own words).
 */
import type { z } from 'zod';
import { validationError, type FieldError } from './errors';

export interface FieldErrorOptions {
  /** The keys the input accepts, listed in an unknown key's message. */
  allowed?: readonly string[];
  /** What an unknown key is called in its message: `field` unless said otherwise (e.g. `query parameter`). */
  unknown?: string;
  /** An unknown key's message when `allowed` is empty; `unknown <field>` unless said otherwise. */
  noneAllowed?: string;
  /** A missing field says "<field> is required" rather than zod's message; true unless said otherwise. */
  sayRequired?: boolean;
}

export function zodFieldErrors(error: z.ZodError, options: FieldErrorOptions = {}): FieldError[] {
  const { allowed = [], unknown = 'field', sayRequired = true } = options;
  const unknownMessage = allowed.length
    ? `unknown ${unknown}; allowed: ${allowed.join(', ')}`
    : (options.noneAllowed ?? `unknown ${unknown}`);
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: key, message: unknownMessage }));
    const field = issue.path.join('.') || 'body';
    const missing = sayRequired && issue.code === 'invalid_type' && issue.input === undefined;
    return [{ field, message: missing ? `${field} is required` : issue.message }];
  });
}

/** The input parsed by its schema, or a 400 naming every bad field (for a query, or a body that may be any JSON). */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown, options?: FieldErrorOptions): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(zodFieldErrors(parsed.error, options));
  return parsed.data;
}

const isJsonObject = (body: unknown) => typeof body === 'object' && body !== null && !Array.isArray(body);
const notAnObject = (): FieldError => ({ field: 'body', message: 'send a JSON object' });

/** What is wrong with a JSON body that must be an object: not one at all, or each bad field of it. */
export function jsonObjectErrors(schema: z.ZodType, body: unknown, options?: FieldErrorOptions): FieldError[] {
  if (!isJsonObject(body)) return [notAnObject()];
  const parsed = schema.safeParse(body);
  return parsed.success ? [] : zodFieldErrors(parsed.error, options);
}

/** A JSON object body parsed by its schema, or a 400 naming every bad field. */
export function parseJsonObject<T extends z.ZodType>(schema: T, body: unknown, options?: FieldErrorOptions): z.output<T> {
  if (!isJsonObject(body)) throw validationError([notAnObject()]);
  return parseOr400(schema, body, options);
}
