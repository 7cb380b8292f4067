"""controlroom: contact handling and call triage for police control rooms."""

__version__ = "0.1.0"
