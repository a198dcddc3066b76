-- Value rules the database enforces for every writer (API, worker, a person with psql).
-- Written by hand: the Prisma schema language cannot express CHECK constraints, and
-- `prisma migrate` ignores them when it compares schema and database, so they stay in
-- place if the team switches to Prisma's own migrate later.
--
-- The vocabularies mirror domain/statuses.ts and the comments in schema.prisma. A new
-- status or state needs a new migration that drops and re-adds the constraint.
-- 115792089237316195423570985008687907853269984665640564039457584007913129639935 is 2^256 - 1
-- (MAX_UINT256 in domain/money.ts): NUMERIC(78,0) alone would accept up to 10^78 - 1.

-- AddCheckConstraint
ALTER TABLE "payouts"
    ADD CONSTRAINT "payouts_amount_check" CHECK ("amount" > 0 AND "amount" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
    ADD CONSTRAINT "payouts_status_check" CHECK ("status" IN ('awaiting_conversion', 'pending_approval', 'in_progress', 'processing', 'completed', 'failed', 'canceled', 'expired')),
    ADD CONSTRAINT "payouts_status_seq_check" CHECK ("status_seq" >= 0),
    ADD CONSTRAINT "payouts_approvals_required_check" CHECK ("approvals_required" >= 0),
    -- Prisma creates list columns nullable; the client types approvedBy as string[], never null.
    ADD CONSTRAINT "payouts_approved_by_check" CHECK ("approved_by" IS NOT NULL),
    ADD CONSTRAINT "payouts_block_number_check" CHECK ("block_number" >= 0),
    ADD CONSTRAINT "payouts_confirmations_check" CHECK ("confirmations" >= 0),
    ADD CONSTRAINT "payouts_gas_used_check" CHECK ("gas_used" >= 0),
    ADD CONSTRAINT "payouts_network_fee_check" CHECK ("network_fee" >= 0);

-- AddCheckConstraint
ALTER TABLE "payout_events"
    ADD CONSTRAINT "payout_events_seq_check" CHECK ("seq" >= 0);

-- AddCheckConstraint
ALTER TABLE "idempotency_records"
    ADD CONSTRAINT "idempotency_records_state_check" CHECK ("state" IN ('in_progress', 'completed'));

-- AddCheckConstraint
ALTER TABLE "fund_reservations"
    ADD CONSTRAINT "fund_reservations_amount_check" CHECK ("amount" > 0 AND "amount" <= 115792089237316195423570985008687907853269984665640564039457584007913129639935),
    ADD CONSTRAINT "fund_reservations_state_check" CHECK ("state" IN ('held', 'consumed', 'released'));

-- AddCheckConstraint
ALTER TABLE "wallet_nonces"
    ADD CONSTRAINT "wallet_nonces_next_nonce_check" CHECK ("next_nonce" >= 0);

-- AddCheckConstraint
ALTER TABLE "chain_transactions"
    ADD CONSTRAINT "chain_transactions_nonce_check" CHECK ("nonce" >= 0),
    ADD CONSTRAINT "chain_transactions_gas_limit_check" CHECK ("gas_limit" > 0),
    ADD CONSTRAINT "chain_transactions_max_fee_per_gas_check" CHECK ("max_fee_per_gas" >= 0),
    ADD CONSTRAINT "chain_transactions_max_priority_fee_per_gas_check" CHECK ("max_priority_fee_per_gas" >= 0),
    ADD CONSTRAINT "chain_transactions_state_check" CHECK ("state" IN ('signed', 'broadcast', 'mined', 'reverted'));
