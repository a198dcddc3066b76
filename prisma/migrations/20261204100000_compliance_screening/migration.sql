-- Sanctions screening. A list is loaded from a file (npm run sanctions:load; the shipped OFAC snapshot at first start):
-- each load is recorded with its file's date and sha256, and replaces the addresses of its source.
CREATE TABLE sanctions_list_loads (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  file_name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  address_count INTEGER NOT NULL,
  -- The list's own date, when the file states it ("# Snapshot date: YYYY-MM-DD").
  published_on DATE,
  loaded_by TEXT NOT NULL,
  loaded_at TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX sanctions_list_loads_source_loaded_at_idx ON sanctions_list_loads (source, loaded_at);

CREATE TABLE sanctioned_addresses (
  -- Lowercase 0x address: an EVM account is the same on every network.
  address TEXT NOT NULL,
  source TEXT NOT NULL,
  load_id TEXT NOT NULL REFERENCES sanctions_list_loads (id) ON DELETE RESTRICT ON UPDATE CASCADE,
  PRIMARY KEY (address, source)
);

-- Every screening and every decision on a hold, for the audit log: what was screened, when, against what, the outcome,
-- and for a release or a refusal who decided and why.
CREATE TABLE compliance_screenings (
  id BIGSERIAL PRIMARY KEY,
  account_id TEXT NOT NULL,
  payout_id TEXT,
  mass_payout_id TEXT,
  -- creation | before_signing | decision
  stage TEXT NOT NULL,
  network TEXT NOT NULL,
  asset TEXT NOT NULL,
  address TEXT NOT NULL,
  -- clear | hit | released | refused
  outcome TEXT NOT NULL,
  hits JSONB NOT NULL DEFAULT '[]',
  actor TEXT,
  reason TEXT,
  created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX compliance_screenings_payout_id_id_idx ON compliance_screenings (payout_id, id);
CREATE INDEX compliance_screenings_account_id_created_at_id_idx ON compliance_screenings (account_id, created_at, id);
