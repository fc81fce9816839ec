"""The outputs layer: statistics, summaries, validation, figures and the report, for people."""
