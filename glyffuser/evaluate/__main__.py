"""``python -m glyffuser.evaluate``: see :mod:`glyffuser.evaluate.measures`."""

from glyffuser.evaluate.measures import main

main()
