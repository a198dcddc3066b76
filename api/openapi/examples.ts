/**
 * Finds every example: in the generated document (with the JSON Schema it illustrates) and in
 * the zod schemas (with the zod schema it illustrates), so the contract test can check each one
 * against both and check that the two lists are the same.
 */
import { z } from 'zod';
import type { JsonSchema } from './json-schema';

export interface JsonExample {
  where: string;
  schema: JsonSchema;
  value: unknown;
}

export interface ZodExample {
  where: string;
  schema: z.ZodType;
  value: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON Schema keywords whose value is a schema, or a map or list of schemas (2020-12 applicators). */
const SCHEMA_KEYWORDS = [
  'items',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

function schemaExamples(schema: unknown, where: string, found: JsonExample[]): void {
  if (!isObject(schema)) return;
  if (Array.isArray(schema.examples)) schema.examples.forEach((value, i) => found.push({ where: `${where}/examples/${i}`, schema, value }));
  for (const keyword of SCHEMA_KEYWORDS) schemaExamples(schema[keyword], `${where}/${keyword}`, found);
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    if (isObject(schema[keyword]))
      for (const [name, sub] of Object.entries(schema[keyword])) schemaExamples(sub, `${where}/${keyword}/${name}`, found);
  }
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    if (Array.isArray(schema[keyword])) schema[keyword].forEach((sub, i) => schemaExamples(sub, `${where}/${keyword}/${i}`, found));
  }
}

/** Parameters, headers and media types: an object with a `schema` and maybe `example` / `examples`. */
function documentExamples(node: unknown, where: string, found: JsonExample[]): void {
  if (Array.isArray(node)) return node.forEach((item, i) => documentExamples(item, `${where}/${i}`, found));
  if (!isObject(node)) return;
  if (isObject(node.schema)) {
    const schema = node.schema;
    schemaExamples(schema, `${where}/schema`, found);
    if ('example' in node) found.push({ where: `${where}/example`, schema, value: node.example });
    if (isObject(node.examples)) {
      for (const [name, example] of Object.entries(node.examples)) {
        if (isObject(example) && 'value' in example) found.push({ where: `${where}/examples/${name}`, schema, value: example.value });
      }
    }
  }
  for (const [key, value] of Object.entries(node)) {
    // Schemas are walked by schemaExamples: a property named like a keyword must not be taken for one.
    if (key !== 'schema' && key !== 'examples' && key !== 'example' && !(where === '#/components' && key === 'schemas')) {
      documentExamples(value, `${where}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, found);
    }
  }
}

export function jsonExamples(document: { components: { schemas: Record<string, JsonSchema> } }): JsonExample[] {
  const found: JsonExample[] = [];
  for (const [id, schema] of Object.entries(document.components.schemas)) schemaExamples(schema, `#/components/schemas/${id}`, found);
  documentExamples(document, '#', found);
  return found;
}

/** The zod definition fields that hold inner schemas (objects, wrappers, pipes, arrays, records, unions). */
const INNER = ['innerType', 'in', 'out', 'element', 'keyType', 'valueType', 'left', 'right'] as const;

export function zodExamples(schema: z.ZodType, where: string, found: ZodExample[] = [], seen = new Set<z.ZodType>()): ZodExample[] {
  if (seen.has(schema)) return found;
  seen.add(schema);
  const examples = schema.meta()?.examples;
  if (Array.isArray(examples)) examples.forEach((value, i) => found.push({ where: `${where} examples[${i}]`, schema, value }));
  const def = schema._zod.def as unknown as Record<string, unknown>;
  for (const field of INNER) if (def[field] instanceof z.ZodType) zodExamples(def[field], `${where}.${field}`, found, seen);
  if (isObject(def.shape)) {
    for (const [key, sub] of Object.entries(def.shape)) if (sub instanceof z.ZodType) zodExamples(sub, `${where}.${key}`, found, seen);
  }
  if (Array.isArray(def.options))
    def.options.forEach((sub, i) => sub instanceof z.ZodType && zodExamples(sub, `${where}|${i}`, found, seen));
  return found;
}
