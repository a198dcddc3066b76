-- Mass payouts: the batch row, one row per item (its own status), and one row per on-chain
-- delivery (a BatchTransfer chunk, a single transfer, or the token allowance). A delivery id
-- owns a nonce in chain_transactions (payout_id), so batches reuse the delivery layer.

-- CreateTable
CREATE TABLE "mass_payouts" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "external_id" VARCHAR(50),
    "idempotency_key" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "status_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "item_count" INTEGER NOT NULL,
    "total_amount" DECIMAL(78,0) NOT NULL,
    "approvals_required" INTEGER NOT NULL DEFAULT 0,
    "approved_by" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "delivery_mode" TEXT,
    "chunk_count" INTEGER,
    "attention" TEXT,
    "failure_code" TEXT,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "mass_payouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mass_payout_items" (
    "mass_payout_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "reference" VARCHAR(50),
    "memo" TEXT,
    "status" TEXT NOT NULL,
    "chunk_index" INTEGER,
    "delivery_id" TEXT,
    "tx_hash" TEXT,
    "failure_code" TEXT,
    "failure_reason" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mass_payout_items_pkey" PRIMARY KEY ("mass_payout_id","seq")
);

-- CreateTable
CREATE TABLE "mass_payout_deliveries" (
    "id" TEXT NOT NULL,
    "mass_payout_id" TEXT NOT NULL,
    "chunk_index" INTEGER NOT NULL,
    "mode" TEXT NOT NULL,
    "item_count" INTEGER NOT NULL,
    "total_amount" DECIMAL(78,0) NOT NULL,
    "state" TEXT NOT NULL,
    "tx_hash" TEXT,
    "gas_used" DECIMAL(78,0),
    "network_fee" DECIMAL(78,0),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "mass_payout_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "mass_payouts_account_id_external_id_created_at_idx" ON "mass_payouts"("account_id", "external_id", "created_at");

-- CreateIndex
CREATE INDEX "mass_payouts_account_id_created_at_id_idx" ON "mass_payouts"("account_id", "created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "mass_payout_items_mass_payout_id_reference_key" ON "mass_payout_items"("mass_payout_id", "reference");

-- CreateIndex
CREATE INDEX "mass_payout_items_mass_payout_id_status_seq_idx" ON "mass_payout_items"("mass_payout_id", "status", "seq");

-- CreateIndex
CREATE INDEX "mass_payout_items_delivery_id_idx" ON "mass_payout_items"("delivery_id");

-- CreateIndex
CREATE INDEX "mass_payout_deliveries_mass_payout_id_chunk_index_idx" ON "mass_payout_deliveries"("mass_payout_id", "chunk_index");

-- AddForeignKey
ALTER TABLE "mass_payout_items" ADD CONSTRAINT "mass_payout_items_mass_payout_id_fkey" FOREIGN KEY ("mass_payout_id") REFERENCES "mass_payouts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mass_payout_deliveries" ADD CONSTRAINT "mass_payout_deliveries_mass_payout_id_fkey" FOREIGN KEY ("mass_payout_id") REFERENCES "mass_payouts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Value rules (see 20261121000100_check_constraints); 2^256 - 1 is MAX_UINT256.
ALTER TABLE "mass_payouts"
    ADD CONSTRAINT "mass_payouts_status_check" CHECK ("status" IN ('pending_approval', 'in_progress', 'completed', 'partially_completed', 'failed', 'canceled', 'expired')),
    ADD CONSTRAINT "mass_payouts_source_check" CHECK ("source" IN ('json', 'csv')),
    ADD CONSTRAINT "mass_payouts_delivery_mode_check" CHECK ("delivery_mode" IN ('batch', 'single')),
    ADD CONSTRAINT "mass_payouts_item_count_check" CHECK ("item_count" > 0),
    ADD CONSTRAINT "mass_payouts_total_amount_check" CHECK ("total_amount" > 0),
    ADD CONSTRAINT "mass_payouts_approved_by_check" CHECK ("approved_by" IS NOT NULL);

ALTER TABLE "mass_payout_items"
    ADD CONSTRAINT "mass_payout_items_amount_check" CHECK ("amount" > 0 AND "amount" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
    ADD CONSTRAINT "mass_payout_items_status_check" CHECK ("status" IN ('pending_approval', 'in_progress', 'processing', 'completed', 'failed', 'canceled', 'expired')),
    ADD CONSTRAINT "mass_payout_items_seq_check" CHECK ("seq" >= 0);

ALTER TABLE "mass_payout_deliveries"
    ADD CONSTRAINT "mass_payout_deliveries_mode_check" CHECK ("mode" IN ('batch', 'single', 'allowance')),
    ADD CONSTRAINT "mass_payout_deliveries_state_check" CHECK ("state" IN ('signed', 'completed', 'reverted', 'failed')),
    ADD CONSTRAINT "mass_payout_deliveries_total_amount_check" CHECK ("total_amount" >= 0);
