"""The state folder: the SQLite database (the one source of truth) and the private
.eml files beside it."""
