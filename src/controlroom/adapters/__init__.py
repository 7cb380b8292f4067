"""Adapters: files, databases, pub/sub, telephony, location providers, documents."""
