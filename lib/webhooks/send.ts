/**
 * One delivery attempt: a signed JSON POST with a whole-request timeout. Redirects are not
 * followed (a 3xx is a failure), and the connection only reaches addresses the URL policy allows.
 */
import http from 'node:http';
import https from 'node:https';
import type { WebhookUrlPolicy } from '../config';
import { checkUrlShape, guardedLookup, InternalAddressError, systemResolver, type Resolver } from './url-policy';

export interface SendInput {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  policy: WebhookUrlPolicy;
  resolve?: Resolver;
}

export type SendResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Receivers' answers are not kept; reading at most this much lets the connection finish cleanly. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function sendWebhook(input: SendInput): Promise<SendResult> {
  const shape = checkUrlShape(input.url, input.policy);
  if (!shape.ok) return Promise.resolve({ ok: false, status: null, error: `URL refused: ${shape.message}` });
  const url = shape.url;
  const transport = url.protocol === 'https:' ? https : http;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...input.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(input.body) },
        lookup: guardedLookup(input.policy, input.resolve ?? systemResolver),
        // A fresh connection per attempt: a pooled socket would skip the address check.
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        const done = () => {
          if (status >= 200 && status < 300) finish({ ok: true, status });
          else if (status >= 300 && status < 400) finish({ ok: false, status, error: `answered ${status}: redirects are not followed` });
          else finish({ ok: false, status, error: `answered ${status}` });
        };
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, error: `no answer within ${input.timeoutMs} ms` });
      request.destroy();
    }, input.timeoutMs);
    request.on('error', (error: Error & { code?: string }) => {
      finish({
        ok: false,
        status: null,
        // System errors' messages can be bare ("socket hang up"): their code says more.
        error:
          error.code && !(error instanceof InternalAddressError) && !error.message.includes(error.code)
            ? `${error.code}: ${error.message}`
            : error.message,
      });
    });
    request.end(input.body);
  });
}
