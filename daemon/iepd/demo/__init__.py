"""`iepd demo`: the whole flow against a mail sandbox on loopback, with a scripted
school and a live table."""
