"""iepd: ask for an IEP meeting in writing, watch for the answer, follow up, keep a record."""

__version__ = "0.1.0"
