/**
 * A pagination cursor the API could not have returned is a 400 on every list, never a 500 (api/http/cursor.ts): its
 * contents go into a PostgreSQL comparison, which fails on a NUL in the id or a date before 4713 BC
 * (the routes accept years 1-9999, which covers every cursor they issue).
 * Against the real app over a stand-in database that fails any query: a cursor that got through
 * to the query would answer 500 here.
 */
import { SCOPES } from '../../lib/api-keys';
import { appWithoutDatabase } from '../../test/support/app-without-database';
import { serveDuringTests } from '../../test/support/serve-during-tests';

const { app, keyWith } = appWithoutDatabase();
const key = keyWith(SCOPES);
const served = serveDuringTests(app);

const cursor = (createdAt: string, id: unknown) => Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

const LISTS = [
  '/v1/payouts',
  '/v1/mass-payouts',
  '/v1/webhook-endpoints',
  '/v1/events',
  '/v1/webhook-deliveries',
  '/v1/reconciliation/exceptions',
];
const BAD_CURSORS = {
  'a NUL in the id': cursor('2026-11-21T10:00:00.000Z', 'po_\u0000'),
  'the earliest JavaScript date': cursor('-271821-04-20T00:00:00.000Z', 'po_1'),
  'a year after 9999': cursor('+010000-01-01T00:00:00.000Z', 'po_1'),
  'an id that is not a string': cursor('2026-11-21T10:00:00.000Z', 7),
  'not base64 JSON': 'not-a-cursor',
};

describe.each(LISTS)('GET %s', (path) => {
  test.each(Object.entries(BAD_CURSORS))('refuses a cursor with %s (400)', async (_name, value) => {
    const response = await fetch(`${served.url}${path}?cursor=${value}`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await response.json()) as { error: { code: string; fields: { field: string }[] } };
    expect({ status: response.status, code: body.error.code, fields: body.error.fields.map((field) => field.field) }).toEqual({
      status: 400,
      code: 'invalid_request',
      fields: ['cursor'],
    });
  });
});
