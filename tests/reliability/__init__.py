"""Reliability and security tests (issue 6)."""
