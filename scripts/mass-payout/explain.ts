/**
 * A failed call as a message a person can act on: what went wrong, and the next step (start the stack, get a key,
 * get the scope, split the file, …). Pure. A refused file's bad rows are report.ts's job (formatRejection).
 */
import { ApiFailure, ApiUnreachable } from './client';
import type { KeySource } from './api-key';

export type Action = 'submit' | 'follow' | 'approve';

export interface ExplainContext {
  action: Action;
  apiUrl: string;
  /** Where the key of the failed call came from (--approve-with for an approval). */
  keySource: KeySource | '--approve-with';
  massPayoutId?: string;
}

const MAKE_KEY = 'npm run keys -- create --account <account> --actor <you> --scopes mass_payouts:create,payouts:read,payouts:approve';

export function explainFailure(error: unknown, context: ExplainContext): string {
  if (error instanceof ApiUnreachable) return unreachable(error, context);
  if (error instanceof ApiFailure) return failure(error, context);
  return `${(error as Error)?.message ?? String(error)}\nNext step: run the command again; if it keeps failing, read .data/logs/api.log (under \`npm start\`).`;
}

function unreachable(error: ApiUnreachable, context: ExplainContext): string {
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(error.reason)) {
    return (
      `cannot reach the API at ${error.apiUrl} (${error.reason}).\n` +
      'Next step: start the engine with `npm start` (it prints the API URL), or pass --api <url> / set PAYOUT_API_URL if it runs elsewhere.'
    );
  }
  const submitted =
    context.action === 'submit'
      ? ' The file may still have been accepted: look for it before submitting again (a second run would pay twice).'
      : '';
  return (
    `the API at ${error.apiUrl} did not answer properly (${error.reason}).${submitted}\n` +
    'Next step: check that the stack is healthy (`npm start` logs in .data/logs/api.log) and run the command again.'
  );
}

function failure(error: ApiFailure, context: ExplainContext): string {
  const { status } = error;
  const code = error.error.code ?? '';
  const said = error.error.message ?? code;
  const id = error.error.request_id ? ` (request ${error.error.request_id})` : '';
  if (status === 401) {
    const where =
      context.keySource === '.data/dev-api-key'
        ? 'the key in .data/dev-api-key is not valid for this API (another stack, or .data was reset): restart `npm start` (it saves a fresh key), or'
        : `check the key you passed with ${context.keySource}, or`;
    return `the API refused the key from ${context.keySource}: ${said}\nNext step: ${where} make one with\n  ${MAKE_KEY}`;
  }
  if (status === 403 && code === 'missing_scope') {
    return `the key from ${context.keySource} may not do this: ${said}\nNext step: use a key with that scope, e.g.\n  ${MAKE_KEY}`;
  }
  if (status === 403 && context.action === 'approve') {
    return (
      `the approval was refused: ${said}\n` +
      'Next step: approve with a key of another actor than the one who submitted (four eyes), e.g.\n' +
      '  npm run keys -- create --account <account> --actor alice --scopes payouts:read,payouts:approve'
    );
  }
  if (status === 404 && code === 'route_not_found') {
    return `this API has no mass payouts (${said}).\nNext step: update the engine and restart \`npm start\`, or point --api at an engine that has them.`;
  }
  if (status === 404) {
    return (
      `no mass payout ${context.massPayoutId ?? ''} in this key's account: ${said}\n` +
      'Next step: check the id, and use a key of the account that created it.'
    );
  }
  if (status === 409 && context.action === 'approve') return `the approval was not needed or not possible: ${said}`;
  if (status === 409) {
    return `the API refused it as a conflict: ${said}${id}\nNext step: ${/external/i.test(code + said) ? 'choose another --external-id, or follow the existing mass payout with --follow <id>.' : 'read the message above; nothing was created.'}`;
  }
  if (status === 413) {
    return `the file is larger than the API accepts: ${said}\nNext step: split it into several files (mass payouts) below that limit.`;
  }
  if (status === 415)
    return `the API refused the file's encoding or type: ${said}\nNext step: save the file as UTF-8 CSV and run the command again.`;
  if (status === 429) {
    const wait = error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} s` : ' in a minute';
    return `the API is rate limiting this key: ${said}\nNext step: run the command again${wait}, or use a key with a higher --rate-limit.`;
  }
  if (status === 400) return `the API refused the request: ${said}\nNext step: correct it and run the command again.`;
  if (status >= 500) {
    const maybe =
      context.action === 'submit'
        ? ' The file may still have been accepted: look for it before submitting again (a second run would pay twice).'
        : '';
    return `the API failed with ${status} ${code}: ${said}${id}.${maybe}\nNext step: read .data/logs/api.log (under \`npm start\`) for the request id, then run the command again.`;
  }
  return `the API answered ${status} ${code}: ${said}${id}\nNext step: read the message above, correct the request and run the command again.`;
}
