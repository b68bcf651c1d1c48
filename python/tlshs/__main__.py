"""``python3 -m tlshs``: the command line (see tlshs._cli and tlshs(1))."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
