-- One petition signature, written the way the worker writes a new signer's first
-- signature when it resolves a submission: BEGIN, one statement that inserts the
-- person, the signature, the consent record and the confirmation email (a one-row
-- version of campaign/signatures/postgres.py), COMMIT. Used by metrics.py to keep
-- signatures arriving in a campaign while it measures the public count:
--
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -f bench/pgbench_first_signature.sql \
--     -D campaign_id=<id> -D consent_text_id=<id> -D run=<unix time> -D seq=0 <dbname>
--
-- Variables (set with -D): campaign_id and consent_text_id of a published petition
-- kept for this measurement; run, a number unique to the run, so addresses never
-- repeat between runs; seq=0, a per-client counter (pgbench variables are per client).
-- Addresses are new every time, so each transaction is a first signature.

\set seq :seq + 1
BEGIN;
WITH new_person AS (
    INSERT INTO people (email_normalised, email, given_name, family_name, country, postcode,
                        custom_fields, created_at, modified_at)
    SELECT 'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
           'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
           'Bench', 'Signer', 'GB', 'SW1A 1AA', '{}', now(), now()
    WHERE EXISTS (SELECT FROM campaigns WHERE id = :campaign_id AND state = 'published')
    ON CONFLICT (email_normalised) DO NOTHING
    RETURNING id, email
), new_signature AS (
    INSERT INTO signatures (campaign_id, person_id, status, email, given_name, family_name,
                            country, postcode, email_updates, channel, ip_address,
                            confirmation_token_hash, emails_sent, created_at, modified_at)
    SELECT :campaign_id, new_person.id, 'pending', new_person.email, 'Bench', 'Signer', 'GB',
           'SW1A 1AA', true, 'api', '127.0.0.1',
           md5(random()::text) || md5(random()::text), 1, now(), now()
    FROM new_person
    RETURNING id, person_id, email
), consent AS (
    INSERT INTO consent_records (person_id, consent_text_id, granted, language, campaign_id,
                                 channel, created_at)
    SELECT new_signature.person_id, :consent_text_id, true, 'en', :campaign_id, 'api', now()
    FROM new_signature
), confirmation AS (
    INSERT INTO outbox_messages (kind, to_address, to_name, context, campaign_id, status,
                                 attempts, created_at, available_at)
    SELECT 'signature_confirmation', new_signature.email, 'Bench Signer',
           jsonb_build_object('given_name', 'Bench', 'campaign_title', 'Bench petition',
                              'campaign_slug', 'bench-raw', 'token', md5(random()::text)),
           :campaign_id, 'pending', 0, now(), now()
    FROM new_signature
)
SELECT id FROM new_signature;
COMMIT;
