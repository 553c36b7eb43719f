"""People's rights over their data: export, erasure, retention and the consent ledger."""
