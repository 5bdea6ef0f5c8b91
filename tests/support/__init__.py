"""What the tests and the benchmarks share, in one place (importable as ``support``: pytest's
``pythonpath`` and each benchmark put ``tests/`` on ``sys.path``).

- ``family``: a family's real config file (``Family``), for the test servers
  (``new_family``) or for none (``offline_family``);
- ``offline``: a request in a real store, brought to a state (queued, sent, answered) the way
  ``iepd run`` brings it there, with no mail server;
- ``daemon``: ``iepd`` as a subprocess, and systemd's side of its ``NOTIFY_SOCKET``;
- ``mailboxes``: what reached the test mailboxes, and the school's replies;
- ``crashpoints``: where the crash tests kill iepd, and what each kill must leave;
- ``mailservers``: Dovecot, aiosmtpd and pymap on 127.0.0.1, the test PKI, a silent proxy;
- ``chromium``: headless Chromium for the export page.

Nothing here defines a fixture: ``tests/conftest.py`` does, with these.
"""
