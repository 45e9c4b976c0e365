"""Conformance and reliability checks run by .ci/run beside pytest (see conformance/run)."""
