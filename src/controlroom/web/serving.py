"""Getting a process ready to serve: work done once at start rather than on a live call.

:func:`settle` compiles the triage rulebook and builds triage's semantic layer now (otherwise
the first contacts to be triaged wait a second or two for them: the rulebook, the embedding
model checked and loaded, the exemplar bank's vectors), then moves every object made so far out
of the garbage collector's way (``gc.freeze``). Without that, each full collection walks the
rulebook, the policy and the libraries' caches, and under load stalls every request in flight
for about a tenth of a second every few seconds. The GIL's switch interval is shortened too:
the thread that writes telephony events gives up the GIL on every database call, and with the
default (5 ms) it then waits behind the request threads for its turn."""

from __future__ import annotations

import gc
import sys

from fastapi import FastAPI

from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services.triage import semantic_layer, triage_text

#: Seconds a thread may hold the GIL while another waits for it (Python's default is 0.005).
SWITCH_INTERVAL = 0.001


def warm_up(policy: Policy) -> None:
    """Compile the policy's rulebook and build its semantic layer, before any contact needs them."""
    triage_text("Someone is breaking into my house", Channel.NINE_NINE_NINE, policy)
    semantic_layer(policy)


def settle(app: FastAPI) -> None:
    """Warm triage up, shorten the switch interval and freeze start-up's objects."""
    warm_up(app.state.policy)
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()
