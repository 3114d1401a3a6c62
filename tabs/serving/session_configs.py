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

The same holds for every event after that: Gradio made a component's copy anew whenever an
event's output changed it (twice for an update of its settings, once per session for a new
value), 0.1 ms each, on the event loop, for every output of every event; the opening event
alone fills 77 (44 views, the deep link's 33). Now an event records what changed (:meth:`ConfigsOnDemand.forget`,
:meth:`ConfigsOnDemand.set_value`) and the copy is made from the component as it then is,
with the value the last event gave it, when it is looked up.
"""

from __future__ import annotations

import datetime

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
        self._values: dict = {}  # block id -> the value an event gave it, for its copy when it is made

    def __missing__(self, key):
        blocks_config = self._session.blocks_config
        config = blocks_config.config_for_block(key, [], blocks_config.blocks[key])
        if key in self._values and "props" in config:
            config["props"]["value"] = self._values.pop(key)
        self[key] = config
        return config

    def forget(self, key) -> None:
        """The component ``key`` was replaced: its copy is made anew, from it, when next looked up."""
        dict.pop(self, key, None)
        self._values.pop(key, None)

    def set_value(self, key, value) -> None:
        """An event gave the component ``key`` this value (serialised): its copy shows it."""
        if dict.__contains__(self, key):
            if "props" in self[key]:
                self[key]["props"]["value"] = value
        else:
            self._values[key] = value

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
    """Make Gradio's sessions start without the copies and make each when needed (once per process)."""
    session_state = state_holder.SessionState
    if getattr(session_state, "configs_on_demand", False):
        return
    start = session_state.__init__

    def __init__(self, blocks):
        start(self, _WithoutBlocks(blocks))  # everything a session holds, but the copies
        self.config_values = ConfigsOnDemand(self, blocks.blocks.keys())

    def __setitem__(self, key, value):  # as Gradio's (gradio/state_holder.py), the copy left for later
        from gradio.components import State

        block = self.blocks_config.blocks.get(key)
        if isinstance(block, State):
            self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
            self.state_data[key] = value
        else:
            self.blocks_config.blocks[key] = value
        if block:
            self.config_values.forget(key)

    def _update_config(self, key):
        if self[key] is not None:
            self.config_values.forget(key)

    def _update_value_in_config(self, key, value):
        self.config_values.set_value(key, value)

    session_state.__init__ = __init__
    session_state.__setitem__ = __setitem__
    session_state._update_config = _update_config
    session_state._update_value_in_config = _update_value_in_config
    session_state.configs_on_demand = True
