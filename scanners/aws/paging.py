"""Which replies continue on another page, and how to ask for it: from botocore's models.

botocore's paginator model names the tokens of most listings. Some operations that page have
no paginator (``backup:ListTags`` answers ``NextToken`` and takes it back, yet botocore cannot
paginate it); for those the token is found in the operation's output shape by its name and
matched to the input member that takes it back. A token that cannot be matched still marks
the reply as continuing: the reader then records a gap rather than keep the first page.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import botocore.session
import jmespath

# Output members that carry a continuation token, and the input member that takes each back.
_TOKEN_NAME = re.compile(r"^(?:Next|next)?(?:Token|Marker|PageToken|ContinuationToken)$"
                         r"|^NextContinuationToken$|^LastEvaluated[A-Z]\w*$")


@dataclass(frozen=True)
class PageConfig:
    input_tokens: tuple[str, ...]  # empty: the token cannot be sent back
    output_tokens: tuple[Any, ...]  # compiled JMESPath expressions
    more_results: Any = None  # an expression that is true while there are more pages

    def more(self, page: dict[str, Any]) -> bool:
        if self.more_results is not None:
            return bool(self.more_results.search(page))
        return any(self.tokens(page))

    def tokens(self, page: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(t.search(page) for t in self.output_tokens)


_lock = threading.Lock()  # a botocore session is not thread-safe; nor is the cache below
_cache: dict[tuple[str, str], PageConfig | None] = {}


@functools.cache
def _session() -> Any:
    return botocore.session.get_session()


def _paginator(service: str, operation: str) -> dict[str, Any] | None:
    try:
        return _session().get_paginator_model(service).get_paginator(operation)
    except (ValueError, botocore.exceptions.DataNotFoundError):
        return None  # no paginator for the operation, or none for the whole service


def _as_tuple(v: Any) -> tuple[str, ...]:
    return tuple(v) if isinstance(v, list) else (v,)


def _config(service: str, operation: str, model: Any) -> PageConfig | None:
    cfg = _paginator(service, operation)
    if cfg is not None:
        more = cfg.get("more_results")
        return PageConfig(_as_tuple(cfg["input_token"]),
                          tuple(jmespath.compile(t) for t in _as_tuple(cfg["output_token"])),
                          jmespath.compile(more) if more else None)
    out, inp = model.output_shape, model.input_shape
    if out is None:
        return None
    names = [m for m in out.members if _TOKEN_NAME.match(m)
             and out.members[m].type_name == "string"]
    # A token echoed back as given ("Marker" beside "NextMarker") is not the next one.
    if any(n.startswith(("Next", "next")) for n in names):
        names = [n for n in names if n.startswith(("Next", "next", "LastEvaluated"))]
    if not names:
        return None
    inputs = set(inp.members) if inp is not None else set()
    back = []
    for n in names:
        for candidate in (n, n.removeprefix("Next"), n.removeprefix("next").capitalize(),
                          n.replace("LastEvaluated", "ExclusiveStart", 1)):
            if candidate in inputs:
                back.append(candidate)
                break
    return PageConfig(tuple(back) if len(back) == len(names) else (),
                      tuple(jmespath.compile(n) for n in names))


def page_config(service_model: Any, operation: str) -> PageConfig | None:
    """How ``operation`` pages, or None when its replies never continue."""
    key = (service_model.service_name, operation)
    with _lock:
        if key not in _cache:
            _cache[key] = _config(*key, service_model.operation_model(operation))
        return _cache[key]
