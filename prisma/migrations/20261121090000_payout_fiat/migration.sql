-- Fiat equivalent of each payout at creation time, where the rate provider knows the asset.

-- AlterTable
ALTER TABLE "payouts" ADD COLUMN     "fiat_amount" DECIMAL(78,0),
ADD COLUMN     "fiat_currency" TEXT,
ADD COLUMN     "fiat_rate" TEXT,
ADD COLUMN     "fiat_rate_as_of" TEXT;
