"""Ground floor: settings, errors, database, logs, formatting, durations, version, and children that die
with their parent (parent_death). Imports nothing else in engine."""
