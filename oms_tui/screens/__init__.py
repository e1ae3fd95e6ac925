"""The Textual screens, one module each; ``registry`` says which roles may open which."""
