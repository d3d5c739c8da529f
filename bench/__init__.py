"""Benchmarks: each measures, none asserts; ``make bench`` prints a table and writes JSON."""
