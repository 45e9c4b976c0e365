"""The GraphQL API (strawberry): types, inputs, queries, mutations, subscriptions, auth, limits."""
