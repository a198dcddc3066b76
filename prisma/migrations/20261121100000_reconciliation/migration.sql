-- Reconciliation: a cursor per (network, treasury wallet) saying how far the chain was read and which
-- changed payouts were checked, one row per run and wallet, and the exceptions it found (deduplicated by
-- dedupe_key, so the same mismatch found by two runs is one exception).

-- CreateTable
CREATE TABLE "reconciliation_cursors" (
    "network" TEXT NOT NULL,
    "wallet" TEXT NOT NULL,
    "last_scanned_block" BIGINT NOT NULL,
    "head_block_at_last_run" BIGINT,
    "payouts_checked_at" TIMESTAMPTZ(3),
    "payouts_checked_id" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reconciliation_cursors_pkey" PRIMARY KEY ("network","wallet")
);

-- CreateTable
CREATE TABLE "reconciliation_runs" (
    "id" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "wallet" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "requested_by" TEXT,
    "from_block" BIGINT,
    "to_block" BIGINT,
    "head_block" BIGINT,
    "transactions_matched" INTEGER NOT NULL DEFAULT 0,
    "payouts_checked" INTEGER NOT NULL DEFAULT 0,
    "exceptions_opened" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconciliation_exceptions" (
    "id" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "wallet" TEXT NOT NULL,
    "account_id" TEXT,
    "payout_id" TEXT,
    "tx_hash" TEXT,
    "summary" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "owner" TEXT,
    "state" TEXT NOT NULL DEFAULT 'open',
    "note" TEXT,
    "history" JSONB NOT NULL DEFAULT '[]',
    "opened_by_run" TEXT NOT NULL,
    "last_seen_run" TEXT NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "reconciliation_exceptions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "reconciliation_runs_workflow_id_network_wallet_key" ON "reconciliation_runs"("workflow_id", "network", "wallet");

-- CreateIndex
CREATE INDEX "reconciliation_runs_network_wallet_started_at_idx" ON "reconciliation_runs"("network", "wallet", "started_at");

-- CreateIndex
CREATE UNIQUE INDEX "reconciliation_exceptions_dedupe_key_key" ON "reconciliation_exceptions"("dedupe_key");

-- CreateIndex
CREATE INDEX "reconciliation_exceptions_opened_at_id_idx" ON "reconciliation_exceptions"("opened_at", "id");

-- CreateIndex
CREATE INDEX "reconciliation_exceptions_state_category_idx" ON "reconciliation_exceptions"("state", "category");

-- CreateIndex
CREATE INDEX "reconciliation_exceptions_payout_id_idx" ON "reconciliation_exceptions"("payout_id");

-- CreateIndex: the reconciler reads each wallet's changed payouts in (updated_at, id) order.
CREATE INDEX "payouts_network_updated_at_id_idx" ON "payouts"("network", "updated_at", "id");

-- AddCheckConstraint
ALTER TABLE "reconciliation_runs"
    ADD CONSTRAINT "reconciliation_runs_trigger_check" CHECK ("trigger" IN ('schedule', 'manual'));

-- AddCheckConstraint
ALTER TABLE "reconciliation_exceptions"
    ADD CONSTRAINT "reconciliation_exceptions_state_check" CHECK ("state" IN ('open', 'investigating', 'resolved')),
    ADD CONSTRAINT "reconciliation_exceptions_category_check" CHECK ("category" IN ('missing_onchain_transfer', 'unknown_onchain_transfer', 'amount_mismatch', 'fee_mismatch', 'status_mismatch', 'batch_item_mismatch')),
    ADD CONSTRAINT "reconciliation_exceptions_resolved_check" CHECK (("state" = 'resolved') = ("resolved_at" IS NOT NULL));
