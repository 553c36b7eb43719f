"""Outgoing webhooks: staff register HTTPS endpoints; each new or changed signature,
letter, donation and person is posted to them as OSDI JSON, in signed batches, by the
worker (never by a request handler), from a feed each endpoint reads with a cursor."""
