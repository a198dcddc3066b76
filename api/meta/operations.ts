/** Routes about the API itself: health, currencies, this document and its docs page. */
import { z } from 'zod';
import { currencyListSchema, healthSchema } from './schemas';
import { named, type Operation } from '../openapi/operation';

export const metaOperations: Operation[] = [
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness',
    tag: 'Meta',
    scope: 'public',
    responses: { 200: { description: 'The API process is up.', body: named('Health', healthSchema) } },
  },
  {
    method: 'get',
    path: '/v1/currencies',
    operationId: 'listCurrencies',
    summary: 'Supported asset + network pairs',
    description: 'From the network registry payout validation uses: what `asset`, `network` and `debit_asset` may be.',
    tag: 'Meta',
    // The route checks no scope (api/http/app.ts): any valid key reads the registry.
    scope: 'any_key',
    responses: { 200: { description: 'Every pair.', body: named('CurrencyList', currencyListSchema) } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the zod schemas the API validates with.',
    tag: 'Meta',
    scope: 'public',
    responses: { 200: { description: 'The document.', body: z.looseObject({ openapi: z.literal('3.1.1') }) } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'apiDocs',
    summary: 'API reference (this document, rendered)',
    tag: 'Meta',
    scope: 'public',
    responses: { 200: { description: 'An HTML page.', body: z.string(), mediaType: 'text/html' } },
  },
];
