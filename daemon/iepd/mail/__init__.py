"""The mail connections: SMTP and IMAP sessions, verified TLS, the password, and
what each provider needs."""
