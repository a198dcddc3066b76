/**
 * The sanctions list: addresses loaded from a file in the public mirrors' formats (one address per line, `#` comments;
 * or a JSON array of addresses), recorded with the file's sha256, its stated date and who loaded it. A load replaces its
 * source's addresses in one transaction, so a screening sees the old list or the new one, never half of each.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Db } from '../db';

export const OFAC_SOURCE = 'ofac_sdn';
/** Shipped with the engine; loaded at first start when the database has no list of its source yet. */
export const SHIPPED_SNAPSHOT = join(__dirname, '..', '..', 'config', 'sanctions', 'ofac-sdn-evm.txt');

export interface ParsedList {
  addresses: string[];
  publishedOn?: string;
}

export class SanctionsListError extends Error {}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Reads a list; an entry that is not an EVM address names its line (or index), so a truncated download is refused. */
export function parseSanctionsList(text: string): ParsedList {
  const trimmed = text.trim();
  const entries: { value: string; where: string }[] = [];
  let publishedOn: string | undefined;
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new SanctionsListError(`the file looks like JSON but does not parse: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new SanctionsListError('a JSON list must be an array of addresses');
    parsed.forEach((value, index) => entries.push({ value: String(value).trim(), where: `entry ${index}` }));
  } else {
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      const date = /^#\s*Snapshot date:\s*(\d{4}-\d{2}-\d{2})\s*$/i.exec(line);
      if (date) publishedOn = date[1];
      if (line === '' || line.startsWith('#')) return;
      entries.push({ value: line, where: `line ${index + 1}` });
    });
  }
  const bad = entries.find((entry) => !ADDRESS.test(entry.value));
  if (bad) throw new SanctionsListError(`${bad.where}: ${JSON.stringify(bad.value.slice(0, 60))} is not a 0x-prefixed 20-byte address`);
  if (entries.length === 0) throw new SanctionsListError('the file lists no address: refusing to empty the list');
  const addresses = [...new Set(entries.map((entry) => entry.value.toLowerCase()))].sort();
  return { addresses, ...(publishedOn ? { publishedOn } : {}) };
}

export interface LoadedList {
  id: string;
  source: string;
  sha256: string;
  addressCount: number;
  added: number;
  removed: number;
  publishedOn?: string;
}

/** Replaces `source`'s addresses with the file's, and records the load. */
export async function loadSanctionsList(
  db: Db,
  options: { file: string; source?: string; loadedBy: string; onlyIfNone?: boolean },
): Promise<LoadedList | undefined> {
  const source = options.source ?? OFAC_SOURCE;
  const bytes = readFileSync(options.file);
  const list = parseSanctionsList(bytes.toString('utf8'));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const id = `sl_${randomUUID()}`;
  return db.$transaction(
    async (tx) => {
      // One load at a time per source (the API and the worker start together; two operators load at once).
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sanctions:${source}`}))`;
      if (options.onlyIfNone && (await tx.sanctionsListLoad.findFirst({ where: { source }, select: { id: true } }))) return undefined;
      const before = new Set(
        (await tx.sanctionedAddress.findMany({ where: { source }, select: { address: true } })).map((row) => row.address),
      );
      await tx.sanctionsListLoad.create({
        data: {
          id,
          source,
          fileName: basename(options.file),
          sha256,
          addressCount: list.addresses.length,
          publishedOn: list.publishedOn ? new Date(`${list.publishedOn}T00:00:00Z`) : null,
          loadedBy: options.loadedBy,
        },
      });
      await tx.sanctionedAddress.deleteMany({ where: { source } });
      await tx.sanctionedAddress.createMany({ data: list.addresses.map((address) => ({ address, source, loadId: id })) });
      const after = new Set(list.addresses);
      return {
        id,
        source,
        sha256,
        addressCount: list.addresses.length,
        added: list.addresses.filter((address) => !before.has(address)).length,
        removed: [...before].filter((address) => !after.has(address)).length,
        ...(list.publishedOn ? { publishedOn: list.publishedOn } : {}),
      };
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}

/** At start: a database without any OFAC list gets the shipped snapshot, so no deployment screens against nothing. */
export const ensureSanctionsSnapshot = (db: Db) =>
  loadSanctionsList(db, { file: SHIPPED_SNAPSHOT, loadedBy: 'engine (shipped snapshot)', onlyIfNone: true });

/** The sources that list an address, with the load each came from. */
export async function listedSources(db: Pick<Db, 'sanctionedAddress'>, address: string) {
  return db.sanctionedAddress.findMany({
    where: { address: address.toLowerCase() },
    select: { source: true, load: { select: { id: true, fileName: true, publishedOn: true, loadedAt: true } } },
  });
}

/**
 * Every listed address with its source, for a mass payout's rows: the validator screens synchronously, row by row, and
 * a list is hundreds of addresses (one read per request).
 */
export async function listedAddresses(db: Pick<Db, 'sanctionedAddress'>): Promise<Map<string, string>> {
  const rows = await db.sanctionedAddress.findMany({ select: { address: true, source: true } });
  return new Map(rows.map((row) => [row.address, row.source]));
}
