"""Unit tests: fast, no servers, no network."""
