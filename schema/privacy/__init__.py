"""Crypto-shredding's outside: the master key at start, erasure in GraphQL (docs/privacy.md)."""
