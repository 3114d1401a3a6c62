"""``python -m glyffuser.train``: see :mod:`glyffuser.train.trainer`."""

import sys

from glyffuser.train.trainer import main

sys.exit(main())
