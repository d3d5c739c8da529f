"""Contract tests: the fakes against the providers' official API descriptions."""
