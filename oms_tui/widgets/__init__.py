"""Widgets several screens share: the red error line, the barcode-gun input, small dialogs, the pieces of
a table read one page at a time. Each widget's looks sit in a .tcss file beside it.

Widgets draw and report what happened (messages, a dialog's result); they never touch the database:
that is the screens' job, through the services."""
