-- One owner per hot wallet (network + address) across all worker processes. The owner broadcasts, re-sends, bumps,
-- fills nonces and decides finality for every delivery of the wallet. A takeover raises the epoch; every write the
-- owner makes checks it, so an owner that stalled and woke up after a takeover cannot act.
CREATE TABLE wallet_leases (
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  holder TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  expires_at TIMESTAMPTZ(3) NOT NULL,
  acquired_at TIMESTAMPTZ(3) NOT NULL,
  -- What the owner last saw, for on-call: in flight, nonce lag, oldest unconfirmed transaction, balance.
  status JSONB,
  PRIMARY KEY (network, address)
);

-- What the owner found, for the delivery's workflow to read: where the kept attempt was mined and what it cost,
-- and the two states that need a person (a bump refused by the fee ceiling; the nonce used by none of ours).
-- Set when the delivery's workflow hands the transaction to the owner to send (it goes out once inside the window).
ALTER TABLE chain_transactions ADD COLUMN released_at TIMESTAMPTZ(3);
ALTER TABLE chain_transactions ADD COLUMN mined_block_number NUMERIC(78, 0);
ALTER TABLE chain_transactions ADD COLUMN confirmations INTEGER;
ALTER TABLE chain_transactions ADD COLUMN gas_used NUMERIC(78, 0);
ALTER TABLE chain_transactions ADD COLUMN network_fee NUMERIC(78, 0);
ALTER TABLE chain_transactions ADD COLUMN fee_ceiling_reason TEXT;
ALTER TABLE chain_transactions ADD COLUMN nonce_conflict_at TIMESTAMPTZ(3);
-- The owner's round reads its wallet's deliveries in flight, in nonce order.
CREATE INDEX chain_transactions_network_from_address_state_nonce_idx ON chain_transactions (network, from_address, state, nonce);
