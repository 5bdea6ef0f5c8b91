"""PURE decisions: which request a message belongs to, what kind of answer it is, and
what is due when. Nothing here reads a clock, the store or the network."""
