-- The audit log: every control decision (screening, limits, payee checks, compliance decisions) and every change to
-- payees, limits and policies, with who, when, and what before and after. Append-only: nothing updates or deletes a row.
CREATE TABLE audit_events (
  id BIGSERIAL PRIMARY KEY,
  account_id TEXT NOT NULL,
  -- The key's actor, or 'system' for a decision the engine took by itself (a screening, a limit check).
  actor TEXT NOT NULL,
  -- <resource>.<verb>, e.g. approval_policy.created, payee.approved, limit.exceeded, compliance.released
  action TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  before JSONB,
  after JSONB,
  reason TEXT,
  request_id TEXT,
  created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_account_id_id_idx ON audit_events (account_id, id);
CREATE INDEX audit_events_account_id_subject_type_subject_id_id_idx ON audit_events (account_id, subject_type, subject_id, id);
