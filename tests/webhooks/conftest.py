"""Until events/webhooks.py becomes the events/webhooks package, let its folder's new modules
(destinations, signing, transport) be imported as events.webhooks.<name>."""

from __future__ import annotations

from pathlib import Path

import events.webhooks as _webhooks

if not hasattr(_webhooks, "__path__"):
    _webhooks.__path__ = [str(Path(_webhooks.__file__ or "").with_suffix(""))]
