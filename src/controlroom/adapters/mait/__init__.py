"""MAIT XML: writing, validating and reading messages against the XSD kept here."""
