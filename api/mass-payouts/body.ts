/**
 * Reads the body of POST /v1/mass-payouts in its three forms, bounded by MASS_PAYOUT_MAX_BODY_BYTES instead of
 * the 1 MB every other route has (100,000 items of JSON are about 12 MB):
 * - application/json: `{ network, asset, purpose, external_id?, items: [...] }`;
 * - multipart/form-data: the same fields, and the CSV file in a part named `file` (streamed with busboy);
 * - text/csv: the file itself, the fields as query parameters.
 * It runs after authentication, so nobody without a key of the right scope makes the API read 64 MB.
 */
import busboy from 'busboy';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { ApiError, type FieldError } from '../http/errors';

export type MassPayoutBody =
  | { form: 'json'; body: unknown }
  | { form: 'multipart'; fields: Record<string, string | string[]>; file: Buffer | undefined; problems: FieldError[] }
  | { form: 'csv'; file: Buffer };

export const MASS_PAYOUT_MEDIA_TYPES = ['application/json', 'multipart/form-data', 'text/csv'];

/** The part of a multipart body that holds the CSV file. */
export const FILE_PART = 'file';

export function bodyTooLarge(maxBytes: number): ApiError {
  const limit = `${maxBytes.toLocaleString('en-US')} bytes`;
  return new ApiError(
    413,
    'validation',
    'body_too_large',
    `the request body is larger than ${limit}, the most one mass payout request may hold (MASS_PAYOUT_MAX_BODY_BYTES); ` +
      'split the batch into several mass payouts',
    [{ field: 'body', message: `at most ${limit} (MASS_PAYOUT_MAX_BODY_BYTES)` }],
  );
}

/** Reads the rest of the request and then refuses it, so the client, still sending, gets the answer (as body-parser does). */
function refuseAfterDraining(req: Request, error: ApiError): Promise<never> {
  return new Promise((_resolve, reject) => {
    const done = () => reject(error);
    if (req.readableEnded) return done();
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    req.resume();
  });
}

/** One of express's body parsers as a promise; its "too large" becomes our 413 naming the setting. */
function parseWith(parser: RequestHandler, req: Request, res: Response, maxBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    parser(req, res, (error?: unknown) => {
      if (!error) return resolve();
      reject((error as { type?: string }).type === 'entity.too.large' ? bodyTooLarge(maxBytes) : error);
    });
  });
}

export async function readMassPayoutBody(req: Request, res: Response, maxBytes: number): Promise<MassPayoutBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return refuseAfterDraining(req, bodyTooLarge(maxBytes));
  const type = req.is(MASS_PAYOUT_MEDIA_TYPES);
  if (type === null) {
    throw new ApiError(400, 'validation', 'invalid_request', `send the mass payout as a body: ${MASS_PAYOUT_MEDIA_TYPES.join(', ')}`, [
      { field: 'body', message: 'required' },
    ]);
  }
  if (type === false) {
    return refuseAfterDraining(
      req,
      new ApiError(
        415,
        'validation',
        'unsupported_media_type',
        `Content-Type ${req.headers['content-type']} is not accepted here; send ${MASS_PAYOUT_MEDIA_TYPES.join(', or ')}`,
        [{ field: 'Content-Type', message: `one of ${MASS_PAYOUT_MEDIA_TYPES.join(', ')}` }],
      ),
    );
  }
  if (type === 'application/json') {
    await parseWith(express.json({ type: () => true, limit: maxBytes, strict: false }), req, res, maxBytes);
    return { form: 'json', body: req.body };
  }
  if (type === 'text/csv') {
    // Bytes, not text: the CSV validator checks the encoding itself and reports invalid UTF-8 by line and column.
    await parseWith(express.raw({ type: () => true, limit: maxBytes }), req, res, maxBytes);
    return { form: 'csv', file: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) };
  }
  return readMultipart(req, maxBytes);
}

const FIELD_BYTES = 8 * 1024;

function readMultipart(req: Request, maxBytes: number): Promise<MassPayoutBody> {
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding !== 'identity') {
    return refuseAfterDraining(
      req,
      new ApiError(415, 'validation', 'unsupported_encoding', `a multipart body cannot be ${encoding}-encoded; send it uncompressed`),
    );
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 8, parts: 9, fieldSize: FIELD_BYTES, fileSize: maxBytes, headerPairs: 20 },
      });
    } catch (error) {
      reject(malformed(error));
      return;
    }
    const fields: Record<string, string | string[]> = {};
    const problems: FieldError[] = [];
    const chunks: Buffer[] = [];
    let fileSeen = false;
    let received = 0;
    let settled = false;
    const fail = (error: ApiError) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      parser.removeAllListeners('close');
      parser.on('error', () => undefined);
      parser.destroy();
      refuseAfterDraining(req, error).catch(reject);
    };

    // The whole body counts, not only the file: the limit is the request's size.
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) fail(bodyTooLarge(maxBytes));
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) problems.push({ field: name, message: `${name} is longer than ${FIELD_BYTES} bytes` });
      const previous = fields[name];
      fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    });
    parser.on('file', (name, stream) => {
      if (name !== FILE_PART) {
        problems.push({ field: name, message: `unexpected file part; send the CSV in the part named "${FILE_PART}"` });
        stream.resume();
        return;
      }
      fileSeen = true;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    });
    parser.on('filesLimit', () => problems.push({ field: FILE_PART, message: 'send exactly one file' }));
    parser.on('fieldsLimit', () => problems.push({ field: 'body', message: 'too many form fields' }));
    parser.on('partsLimit', () => problems.push({ field: 'body', message: 'too many form parts' }));
    parser.on('error', (error) => fail(malformed(error)));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ form: 'multipart', fields, file: fileSeen ? Buffer.concat(chunks) : undefined, problems });
    });
    req.on('aborted', () => fail(malformed(new Error('the request was aborted'))));
    req.pipe(parser);
  });
}

function malformed(error: unknown): ApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ApiError(400, 'validation', 'malformed_multipart', `the multipart/form-data body cannot be read: ${reason}`, [
    { field: 'body', message: reason },
  ]);
}
