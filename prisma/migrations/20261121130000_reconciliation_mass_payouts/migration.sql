-- Reconciliation of mass payouts: the cursor also remembers which settled deliveries (one on-chain
-- transaction each) and which finished mass payouts were checked, so a 100,000-item batch is read once,
-- not on every run; runs count the deliveries they checked. The (settled_at, id) and
-- (status_changed_at, id) indexes serve those two keyset scans.

ALTER TABLE "reconciliation_cursors"
    ADD COLUMN "deliveries_checked_at" TIMESTAMPTZ(3),
    ADD COLUMN "deliveries_checked_id" TEXT,
    ADD COLUMN "mass_payouts_checked_at" TIMESTAMPTZ(3),
    ADD COLUMN "mass_payouts_checked_id" TEXT;

ALTER TABLE "reconciliation_runs" ADD COLUMN "deliveries_checked" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "mass_payout_deliveries_settled_at_id_idx" ON "mass_payout_deliveries"("settled_at", "id");

-- CreateIndex
CREATE INDEX "mass_payouts_status_changed_at_id_idx" ON "mass_payouts"("status_changed_at", "id");
