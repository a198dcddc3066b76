/** /v1/exports as documented: one declaration per route in api/exports/routes.ts. */
import { z } from 'zod';
import { massPayoutItemExportQuery, massPayoutItemExportRowSchema, payoutExportQuery, payoutExportRowSchema } from './schemas';
import { named, type Operation } from '../openapi/operation';

export const exportOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/exports/payouts',
    operationId: 'exportPayouts',
    summary: 'Export payouts (CSV or JSON, streamed)',
    description:
      'Every payout of the account in creation order, failed and canceled included, up to the moment of the request. ' +
      "CSV columns are the JSON row fields in the same order (RFC 4180, CRLF, formula-like text prefixed with `'`). " +
      'Streamed at any size: a transfer that breaks off is an error (the HTTP chunked encoding does not terminate), never a short file.',
    tag: 'Exports',
    scope: 'exports:read',
    query: payoutExportQuery,
    responses: {
      200: {
        description: 'The export (format=json), or the same rows as text/csv (format=csv, the default).',
        alternatives: {
          'text/csv': z.string().meta({ description: 'A header line with the row fields, then one line per payout (RFC 4180, CRLF).' }),
        },
        body: named(
          'PayoutExport',
          z.object({ object: z.literal('list'), data: z.array(named('PayoutExportRow', payoutExportRowSchema).schema) }),
        ),
      },
    },
  },
  {
    method: 'get',
    path: '/v1/exports/mass-payout-items',
    operationId: 'exportMassPayoutItems',
    summary: 'Export mass-payout items (CSV or JSON, streamed)',
    description:
      'Every item of the account’s mass payouts, one row per recipient, batch by batch in creation order and by seq within a ' +
      'batch, failed and canceled items included, up to the moment of the request. Each row carries its batch_id (the mass ' +
      'payout), seq and reference, so it joins back to the file it came from; and its share of its transaction’s gas, ' +
      'shared so that a delivery’s shares sum exactly to its receipt. Single payouts are in `GET /v1/exports/payouts`. ' +
      "CSV columns are the JSON row fields in the same order (RFC 4180, CRLF, formula-like text prefixed with `'`). " +
      'Streamed at any size: a transfer that breaks off is an error (the HTTP chunked encoding does not terminate), never a short file.',
    tag: 'Exports',
    scope: 'exports:read',
    query: massPayoutItemExportQuery,
    responses: {
      200: {
        description: 'The export (format=json), or the same rows as text/csv (format=csv, the default).',
        alternatives: {
          'text/csv': z.string().meta({ description: 'A header line with the row fields, then one line per item (RFC 4180, CRLF).' }),
        },
        body: named(
          'MassPayoutItemExport',
          z.object({ object: z.literal('list'), data: z.array(named('MassPayoutItemExportRow', massPayoutItemExportRowSchema).schema) }),
        ),
      },
    },
  },
];
