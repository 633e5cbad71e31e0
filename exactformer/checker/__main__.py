"""``python -m exactformer.checker CERT.json [--json] [--timeout SECONDS]``."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
