import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Time-ordered, unguessable ids ("po_" + 10 chars of milliseconds + 16 random chars),
 * readable in the Temporal UI and sortable for cursor pagination.
 * Not for workflow code (uses the clock and randomness).
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let ms = BigInt(now);
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[Number(ms % 32n)] + time;
    ms /= 32n;
  }
  const random = [...randomBytes(16)].map((byte) => CROCKFORD[byte % 32]).join('');
  return `${prefix}_${time}${random}`;
}

export const newPayoutId = (): string => newId('po');
