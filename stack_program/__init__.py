"""What only this repository's stack program (``__main__.py``) needs: its settings loader, which reads the stack
file's sections into validated settings. The importable library is ``components``; this package is not part of it.
"""
