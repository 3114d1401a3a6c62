"""A new session's copies of the components' configs, made when first needed instead of all at once.

When a page sends its first event, Gradio starts its session (``SessionState``) by copying
the config of every component of the app: 319 of them here, 25 ms on the server's event
loop (nothing else is served meanwhile) and 0.5 MB a session. Those copies are for one thing,
Gradio's own deep-link button (``/gradio_api/deep_link``), which this app does not use
(``tabs.deep_link`` keeps a view's settings in the address); an event that updates a
component replaces that component's copy. :func:`install` makes a session start with none:
:class:`ConfigsOnDemand` computes a component's copy the first time it is looked up, and
all of them when they are listed, so every copy is the one Gradio would have made.
Thirty students opening the app at once no longer wait 0.75 s for each other's sessions.
"""

from __future__ import annotations

from gradio import state_holder


class ConfigsOnDemand(dict):
    """A session's ``config_values``: block id -> its config, computed on first lookup.

    Args:
        session: the ``SessionState`` it belongs to (its ``blocks_config`` makes each config).
        ids: the ids of the app's blocks (a live view of the Blocks' own dict: nothing copied).
    """

    def __init__(self, session, ids):
        super().__init__()
        self._session = session
        self._ids = ids

    def __missing__(self, key):
        blocks_config = self._session.blocks_config
        config = self[key] = blocks_config.config_for_block(key, [], blocks_config.blocks[key])
        return config

    def _complete(self) -> None:
        for key in self._session.blocks_config.blocks:
            if key in self._ids and not dict.__contains__(self, key):
                self.__missing__(key)

    def items(self):
        self._complete()
        return super().items()

    def values(self):
        self._complete()
        return super().values()


class _WithoutBlocks:
    """What ``SessionState.__init__`` reads of the Blocks, with no blocks to copy configs of."""

    def __init__(self, blocks):
        self.default_config = blocks.default_config
        self.blocks = {}


def install() -> None:
    """Make Gradio's sessions start without the copies (once per process)."""
    session_state = state_holder.SessionState
    if getattr(session_state, "configs_on_demand", False):
        return
    start = session_state.__init__

    def __init__(self, blocks):
        start(self, _WithoutBlocks(blocks))  # everything a session holds, but the copies
        self.config_values = ConfigsOnDemand(self, blocks.blocks.keys())

    session_state.__init__ = __init__
    session_state.configs_on_demand = True
