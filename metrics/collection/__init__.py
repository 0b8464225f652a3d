"""Collection rounds: rosters' rounds, statuses, completeness and reminders."""
