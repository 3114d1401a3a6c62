"""The explorer's tabs, one module each.

A tab module exposes ``build_tab(resources)``, called inside the app's ``gr.Tabs``; it
opens its own ``gr.Tab(label, id=...)``, lays out its widgets and wires them to functions
that validate their raw inputs (``tabs/validate.py``), call ``glyffuser`` for the numbers
and ``viz`` for the figures. ``resources`` is the module ``tabs.resources``: cached,
lazily loaded shared objects (dataset, map, schedules, pipeline). Every event has an
``api_name``; model events use ``concurrency_id="model"``.

Tab modules import only light modules at the top. torch, scipy and matplotlib (through
``glyffuser`` and ``viz``) are imported inside the functions that use them: together they
take longer to import than the app may take to start, and the app warms them up in the
background once it is serving.
"""
