-- PaaSTech Cloud schema, version 2.
-- Why the edge's last attempt to get a custom domain's certificate failed (DNS not pointing here,
-- ACME refusal, ...), shown to the domain's owner next to certificate_status. NULL when it did not fail.
ALTER TABLE domains ADD COLUMN certificate_error TEXT;
