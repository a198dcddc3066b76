-- Delivery layer: every signed attempt of a payout's transaction (original, fee bumps,
-- cancellation), the hash that was mined, and payouts waiting for a person.

-- AlterTable
ALTER TABLE "payouts" ADD COLUMN     "attention" TEXT;

-- AlterTable
ALTER TABLE "chain_transactions" ADD COLUMN     "mined_tx_hash" TEXT;

-- CreateTable
CREATE TABLE "transaction_attempts" (
    "payout_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "raw_tx" TEXT NOT NULL,
    "max_fee_per_gas" DECIMAL(78,0) NOT NULL,
    "max_priority_fee_per_gas" DECIMAL(78,0) NOT NULL,
    "broadcast_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transaction_attempts_pkey" PRIMARY KEY ("payout_id","attempt")
);

-- CreateIndex
CREATE UNIQUE INDEX "transaction_attempts_tx_hash_key" ON "transaction_attempts"("tx_hash");

-- AddForeignKey
ALTER TABLE "transaction_attempts" ADD CONSTRAINT "transaction_attempts_payout_id_fkey" FOREIGN KEY ("payout_id") REFERENCES "chain_transactions"("payout_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Existing transactions become their own first attempt.
INSERT INTO "transaction_attempts" ("payout_id", "attempt", "kind", "tx_hash", "raw_tx", "max_fee_per_gas", "max_priority_fee_per_gas", "broadcast_at", "created_at")
SELECT "payout_id", 1, 'transfer', "tx_hash", "raw_tx", "max_fee_per_gas", "max_priority_fee_per_gas", "broadcast_at", "created_at" FROM "chain_transactions";

-- AddCheckConstraint
ALTER TABLE "transaction_attempts"
    ADD CONSTRAINT "transaction_attempts_attempt_check" CHECK ("attempt" >= 1),
    ADD CONSTRAINT "transaction_attempts_kind_check" CHECK ("kind" IN ('transfer', 'cancel'));
