-- One petition signature, written the way the server writes it: the same statements,
-- one round trip each, in one transaction. Used by sign_load.py to measure what
-- PostgreSQL alone can take on this machine:
--
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -f bench/pgbench_sign.sql \
--     -D campaign_id=<id> -D consent_text_id=<id> -D run=<unix time> -D seq=0 <dbname>
--
-- Variables (set with -D): campaign_id and consent_text_id of a published petition
-- kept for this measurement; run, a number unique to the run, so addresses never
-- repeat between runs; seq=0, a per-client counter (pgbench variables are per client).
-- Addresses are new every time, so each transaction is a first signature.
-- The server looks the campaign up by slug; this looks it up by id (both one index scan).

\set seq :seq + 1
BEGIN;
SELECT id, state, consent_text_id, language, postcode_mode, title, slug
  FROM campaigns WHERE id = :campaign_id;
INSERT INTO people (email_normalised, email, given_name, family_name, country, postcode, created_at)
  VALUES ('p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
          'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
          'Bench', 'Signer', 'GB', 'SW1A 1AA', now())
  ON CONFLICT (email_normalised) DO NOTHING
  RETURNING id AS person_id \gset
INSERT INTO signatures (campaign_id, person_id, status, email, given_name, family_name, country,
                        postcode, email_updates, channel, ip_address, confirmation_token_hash,
                        emails_sent, created_at)
  VALUES (:campaign_id, :person_id, 'pending',
          'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
          'Bench', 'Signer', 'GB', 'SW1A 1AA', true, 'api', '127.0.0.1',
          md5(random()::text) || md5(random()::text), 1, now())
  ON CONFLICT (campaign_id, person_id) DO NOTHING
  RETURNING id;
INSERT INTO consent_records (person_id, consent_text_id, granted, language, campaign_id, channel,
                             created_at)
  VALUES (:person_id, :consent_text_id, true, 'en', :campaign_id, 'api', now());
INSERT INTO outbox_messages (kind, to_address, to_name, context, campaign_id, status, attempts,
                             created_at, available_at)
  VALUES ('signature_confirmation',
          'p' || :run || '.c' || :client_id || '.n' || :seq || '@bench.example',
          'Bench Signer',
          jsonb_build_object('given_name', 'Bench', 'campaign_title', 'Bench petition',
                             'campaign_slug', 'bench-raw', 'token', md5(random()::text)),
          :campaign_id, 'pending', 0, now(), now());
COMMIT;
