"""Desks away from the shop's own terminals: the TUI served over SSH (``ssh.py``) and to a browser
(``web.py``). Each connection runs the app in a child process on a terminal of its own (``child.py``):
one crashed or slow desk never takes the others with it, and each keeps its own language."""
