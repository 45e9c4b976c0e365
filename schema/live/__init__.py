"""Live queries: subscriptions that push a dashboard query's new result when the projections it
reads advance, computed once per distinct (operation, arguments, visibility) for everyone."""
