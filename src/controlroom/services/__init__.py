"""Use cases. Each takes plain inputs, works through the domain, and returns domain results."""
