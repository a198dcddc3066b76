/**
 * Loads a sanctions list into the engine's database: `npm run sanctions:load <file> [--source ofac_sdn]`.
 * The file is one 0x address per line (`#` comments; `# Snapshot date: YYYY-MM-DD` records the list's date), or the
 * public mirrors' JSON array. It replaces the source's addresses in one transaction and records the load (date, sha256,
 * who). Screening reads the database, so the API and the workers use the new list from their next screening.
 */
import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';
import { createDb } from '../lib/db';
import { loadSanctionsList, OFAC_SOURCE, SanctionsListError } from '../lib/compliance/sanctions-list';
import { migrate } from '../prisma/migrate';

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { source: { type: 'string', default: OFAC_SOURCE }, by: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    throw new SanctionsListError('usage: npm run sanctions:load <file> [--source ofac_sdn] [--by <who>]');
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new SanctionsListError('set DATABASE_URL to the engine database (npm start prints it)');
  await migrate(databaseUrl);
  const db = createDb(databaseUrl);
  try {
    const loaded = await loadSanctionsList(db, { file, source: values.source, loadedBy: values.by ?? userInfo().username });
    console.log(
      `loaded ${loaded!.addressCount} addresses into ${loaded!.source} (load ${loaded!.id}, sha256 ${loaded!.sha256}` +
        `${loaded!.publishedOn ? `, list of ${loaded!.publishedOn}` : ''}): ${loaded!.added} added, ${loaded!.removed} removed`,
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((error) => {
  console.error(`[sanctions:load] ${error instanceof Error ? error.message : String(error)}`);
  if (!(error instanceof SanctionsListError)) console.error('the database is unchanged: the load runs in one transaction');
  process.exit(1);
});
