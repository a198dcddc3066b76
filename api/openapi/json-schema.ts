/**
 * zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect) with zod's own z.toJSONSchema.
 * Requests are converted as zod's input (what a client sends: before transforms and defaults),
 * responses as its output (what the API sends).
 */
import { z } from 'zod';
import type { NamedSchema } from './operation';

export type Io = 'input' | 'output';
export type JsonSchema = Record<string, unknown>;

export const componentRef = (id: string): string => `#/components/schemas/${id}`;

const options = (io: Io) => ({ target: 'draft-2020-12' as const, io, unrepresentable: 'throw' as const });

/** Drops what only makes sense for a standalone JSON Schema document; OpenAPI 3.1 sets the dialect once. */
function embeddable(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** Named schemas → components; one named inside another becomes a $ref to it. */
export function toComponents(schemas: readonly NamedSchema[], io: Io): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  const seen = new Map<string, z.ZodType>();
  for (const { id, schema } of schemas) {
    const previous = seen.get(id);
    if (previous && previous !== schema) throw new Error(`two different schemas are named ${id}`);
    if (!previous) registry.add(schema, { id });
    seen.set(id, schema);
  }
  const { schemas: converted } = z.toJSONSchema(registry, { ...options(io), uri: componentRef });
  if ('__shared' in converted) throw new Error('a schema is shared between components without a name; name it');
  return Object.fromEntries(Object.entries(converted).map(([id, schema]) => [id, embeddable(schema as JsonSchema)]));
}

/** A schema used once, inline. */
export const inlineSchema = (schema: z.ZodType, io: Io): JsonSchema => embeddable(z.toJSONSchema(schema, options(io)) as JsonSchema);

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** One parameter; its description is lifted from the schema to the parameter, where tools show it. */
export function parameter(name: string, where: Parameter['in'], schema: JsonSchema, required: boolean): Parameter {
  const { description, ...rest } = schema;
  return { name, in: where, required, ...(typeof description === 'string' ? { description } : {}), schema: rest };
}

/** A zod object of path or query parameters → one OpenAPI parameter per property. */
export function parametersOf(object: z.ZodObject, where: 'path' | 'query'): Parameter[] {
  const converted = inlineSchema(object, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  // A path parameter is always required (OpenAPI); a query one when zod's input needs it.
  const required = (name: string) => where === 'path' || (converted.required ?? []).includes(name);
  return Object.entries(converted.properties ?? {}).map(([name, schema]) => parameter(name, where, schema, required(name)));
}
