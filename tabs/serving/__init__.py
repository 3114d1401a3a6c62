"""What keeps a class on one small server (docs/load.md).

* :mod:`~tabs.serving.shared_runs`: identical requests share one computation; finished runs,
  pictures and one-shot results kept within bounds.
* :mod:`~tabs.serving.front_end`: the page and the front end's files from memory, compressed once.
* :mod:`~tabs.serving.session_configs`: a session's copies of the components' configs made when needed.
* :mod:`~tabs.serving.housekeeping`: session state and cached files bounded by age and size.
* :mod:`~tabs.serving.cache_files`: a picture many students fetch written once, atomically.
* :mod:`~tabs.serving.endpoints`: every event through the queue, the examples' events private.
"""
