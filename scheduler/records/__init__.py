"""Records about the clinic: the audit trail, its history in words, the dashboard's figures."""
