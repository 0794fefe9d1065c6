"""The transactional outbox: side effects of a committed fact, written with the fact."""
