"""The people directory view."""
