"""In-memory test doubles of the service ports."""
