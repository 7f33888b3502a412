-- Token buckets of the gateway's per-API-key rate limit, shared by every gateway replica. UNLOGGED:
-- a crash forgets the buckets (everyone starts full again), which costs nothing worth WAL traffic.
CREATE UNLOGGED TABLE IF NOT EXISTS gateway_rate_limits (
    bucket  text PRIMARY KEY,
    tokens  double precision NOT NULL,
    updated timestamptz NOT NULL,
    allowed boolean NOT NULL  -- the outcome of the last take, read back by RETURNING
) WITH (fillfactor = 50);
