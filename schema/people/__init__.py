"""The people directory over GraphQL."""
