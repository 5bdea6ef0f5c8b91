"""Mail coming in: the IDLE watcher and its catch-up by UID, parsing, bounces and
invitations, and recording a matched message in the store."""
