-- Funds credited from a balance difference ('funding' entries) were never tied to a transfer. They move from the
-- `external` account to `unidentified`, so that a deposit the reconciler identifies later reclassifies them
-- instead of crediting them a second time (domain/ledger.ts depositEntry). Only accounts and postings change
-- their kind; every balance stays the sum of its postings.
INSERT INTO "ledger_accounts" ("id", "kind", "owner", "network", "asset", "balance")
SELECT 'unidentified' || substr("id", length('external') + 1), 'unidentified', "owner", "network", "asset", 0
FROM "ledger_accounts" WHERE "kind" = 'external'
ON CONFLICT ("id") DO NOTHING;

UPDATE "postings" AS p
SET "account_id" = 'unidentified' || substr(p."account_id", length('external') + 1)
FROM "journal_entries" AS e
WHERE e."id" = p."entry_id" AND e."kind" = 'funding' AND p."account_id" LIKE 'external:%';

UPDATE "ledger_accounts" AS a
SET "balance" = COALESCE((SELECT SUM(p."amount") FROM "postings" AS p WHERE p."account_id" = a."id"), 0), "updated_at" = now()
WHERE a."kind" IN ('external', 'unidentified');
