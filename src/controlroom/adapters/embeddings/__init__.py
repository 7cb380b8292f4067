"""Sentence embeddings for triage's semantic layer, from verified local model files."""
