"""File formats read and written by exactformer, one package per format (DESIGN §5)."""
