"""Ground floor: settings, errors, database, logs, formatting, durations, version. Imports nothing else in engine."""
