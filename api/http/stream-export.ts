/** Streaming an export (CSV or a JSON list) in pages, with backpressure; shared by every export route. */
import { once } from 'node:events';
import type { Response } from 'express';

/** Writes and waits when the socket's buffer is full (backpressure), so a slow client cannot grow memory. */
async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await once(res, 'drain');
}

/**
 * Streams pages of rows as CSV (header first) or as a JSON list. A failure after the headers cuts the connection,
 * so the client sees a broken transfer, never a short file that looks whole.
 */
export async function streamExport<Row>(
  res: Response,
  options: {
    format: 'csv' | 'json';
    filename: string;
    csvHeader: string;
    csvLine: (row: Row) => string;
    pages: AsyncGenerator<Row[]>;
    onError: (error: unknown) => void;
  },
): Promise<void> {
  const { format } = options;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.status(200);
  res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${options.filename}-${stamp}.${format}"`);
  res.setHeader('Cache-Control', 'no-store');

  let closed = false;
  res.on('close', () => (closed = true));
  try {
    await write(res, format === 'csv' ? options.csvHeader : '{"object":"list","data":[');
    let first = true;
    for await (const rows of options.pages) {
      let chunk = '';
      for (const row of rows) {
        chunk += format === 'csv' ? options.csvLine(row) : `${first ? '' : ','}${JSON.stringify(row)}`;
        first = false;
      }
      await write(res, chunk);
      if (closed) break; // the client left: stop reading (the generator's finally runs)
    }
    res.end(format === 'csv' ? '' : ']}');
  } catch (error) {
    options.onError(error);
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
