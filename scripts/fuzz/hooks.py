"""Schemathesis hooks for `npm run fuzz` (loaded through SCHEMATHESIS_HOOKS)."""
import re
import uuid

import schemathesis

# The API's Idempotency-Key rule (api/schemas/common.ts idempotencyKeyHeader).
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@schemathesis.hook
def before_call(context, case, **kwargs):
    """Give every request that carries a valid Idempotency-Key a unique one.

    Generated keys repeat ("0", "A", ...), and a key reused with another body is answered 422 by
    design, which would hide the route behind it. Missing or invalid keys are left as generated:
    those are the negative cases the API must refuse.
    """
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key):
        headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
        case.headers = headers
