"""The write side of Kehu: what happened, and the rules that decide it.

This package imports nothing else of the project (see the import-linter contract).
"""
