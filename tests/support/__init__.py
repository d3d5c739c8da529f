"""Test support: real services, managed processes and data factories."""
