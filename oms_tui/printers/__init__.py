"""ESC/POS printing without a database: ``documents`` renders pick lists, packing slips, return slips
and a test page to bytes; ``transports`` sends those bytes to a network, USB, serial or file printer."""
