"""The read side: one module per view, and the runner that keeps them up to date."""
