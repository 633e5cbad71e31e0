"""``python -m exactformer.cli``: the same command line as ``python -m exactformer``."""
from exactformer.cli import console

if __name__ == "__main__":
    console()
