"""`iepd run`: the daemon process, one pass over every request, the wake-up timer and
systemd notifications."""
