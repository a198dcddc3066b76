-- Payout lifecycle: programs and versioned approval policies, currency conversion with
-- locked quotes, and the time of the last status change (for "stuck since" queries).

-- AlterTable
ALTER TABLE "payouts" ADD COLUMN     "approval_policy_id" TEXT,
ADD COLUMN     "approval_policy_version" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "conversion_fee" DECIMAL(78,0),
ADD COLUMN     "debit_amount" DECIMAL(78,0),
ADD COLUMN     "debit_asset" TEXT,
ADD COLUMN     "input_amount" DECIMAL(78,0),
ADD COLUMN     "input_currency" TEXT,
ADD COLUMN     "program" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "quote_expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "rate_input_to_sending" TEXT,
ADD COLUMN     "rate_sending_to_debit" TEXT,
ADD COLUMN     "rate_source" TEXT,
ADD COLUMN     "service_fee" DECIMAL(78,0),
ADD COLUMN     "status_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "approval_policies" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "program" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL,
    "rules" JSONB NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "approval_policies_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payouts_status_status_changed_at_idx" ON "payouts"("status", "status_changed_at");

-- CreateIndex
CREATE UNIQUE INDEX "approval_policies_account_id_program_version_key" ON "approval_policies"("account_id", "program", "version");

-- AddCheckConstraint
ALTER TABLE "payouts"
    ADD CONSTRAINT "payouts_input_amount_check" CHECK ("input_amount" > 0),
    ADD CONSTRAINT "payouts_debit_amount_check" CHECK ("debit_amount" > 0),
    ADD CONSTRAINT "payouts_fees_check" CHECK ("service_fee" >= 0 AND "conversion_fee" >= 0),
    ADD CONSTRAINT "payouts_approval_policy_version_check" CHECK ("approval_policy_version" >= 0);

-- AddCheckConstraint
ALTER TABLE "approval_policies"
    ADD CONSTRAINT "approval_policies_version_check" CHECK ("version" >= 1);
