"""The people directory: who may be named in a decision (four eyes on every meal, M11/M12)."""
