-- Low-balance alerts ask "does a payout on this network wait for funds?" on every reservation
-- and settlement: an index, so that is a lookup instead of a scan of all payouts.

-- CreateIndex
CREATE INDEX "payouts_attention_network_idx" ON "payouts"("attention", "network");
