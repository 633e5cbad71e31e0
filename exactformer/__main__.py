"""``python -m exactformer``: the same command line as the ``exactformer`` script."""
from exactformer.cli import console

if __name__ == "__main__":
    console()
