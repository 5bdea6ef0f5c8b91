"""Mail going out: render and record each letter or reminder once, then send it, file
its Sent copy and reconcile after a crash."""
