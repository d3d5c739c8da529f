"""A chaos soak of the whole system, run by `make test-soak` (never by `make test`)."""
