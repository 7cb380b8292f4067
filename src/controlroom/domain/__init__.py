"""The domain: pure Python, standard library only.

Policy model, triage, contacts and procedures. Nothing here knows about HTTP, databases or
files; the outer layers translate to and from these types.
"""
