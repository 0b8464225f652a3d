"""The system of record: schema, the store, import planning and writing, the in-memory facts, samples and the
demo set."""
