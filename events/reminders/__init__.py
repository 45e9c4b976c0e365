"""Reminders: the rule book's deadlines told to the people who must meet them (M2, M11, M13,
M14, V11, V12), in the app and by email."""
