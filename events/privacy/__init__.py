"""Erasure of a data subject's personal data by destroying its key (docs/privacy.md)."""
