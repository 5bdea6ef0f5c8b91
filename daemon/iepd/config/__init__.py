"""The config file: reading the TOML, checking every value, and the immutable
settings the rest of iepd reads."""
