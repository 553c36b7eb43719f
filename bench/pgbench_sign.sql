-- One signing request's write as its own transaction: BEGIN, one INSERT ... SELECT of
-- the submission row while the petition is published, COMMIT. (The server now writes
-- the submissions of requests that arrive together with one statement,
-- campaign/signatures/writer.py; this is what the database allows one request at a
-- time.) The worker resolves submissions into signatures later, in batches; that is not
-- part of a request.
-- Used by sign_load.py to measure what PostgreSQL alone can take on this machine:
--
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -f bench/pgbench_sign.sql \
--     -D campaign_id=<id> -D consent_text_id=<id> -D run=<unix time> -D seq=0 <dbname>
--
-- Variables (set with -D): campaign_id of a published petition kept for this
-- measurement (consent_text_id is accepted and unused); run, a number unique to the
-- run, so addresses never repeat between runs; seq=0, a per-client counter (pgbench
-- variables are per client).

\set seq :seq + 1
BEGIN;
INSERT INTO signature_submissions (
    campaign_id, email, email_normalised, given_name, family_name, country, postcode,
    comment, email_updates, channel, ip_address, user_agent, referrer, utm_source,
    utm_medium, utm_campaign, over_rate_limit, honeypot_filled, attempts, available_at,
    created_at)
SELECT :campaign_id,
       'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
       'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
       'Bench', 'Signer', 'GB', 'SW1A 1AA', NULL, true, 'api', '127.0.0.1', 'pgbench',
       NULL, NULL, NULL, NULL, false, false, 0, now(), now()
WHERE EXISTS (SELECT FROM campaigns WHERE id = :campaign_id AND state = 'published');
COMMIT;
