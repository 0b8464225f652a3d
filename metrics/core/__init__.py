"""The vocabulary every layer shares: records and issues, the metric catalog, text and number parsing, formatting,
labels, safe export."""
