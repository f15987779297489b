"""``python -m components doctor``: the access chain of every pod, read (never written) from a cluster or a dump."""
