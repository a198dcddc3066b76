import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

/** A Prisma client over a `pg` pool (no native query engine). */
export function createDb(databaseUrl: string, options: { maxConnections?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}

/** Prisma's Decimal (NUMERIC(78,0) columns) to bigint, exactly. */
export function decimalToBigint(value: { toFixed(): string } | null | undefined): bigint | null {
  if (value === null || value === undefined) return null;
  return BigInt(value.toFixed());
}
