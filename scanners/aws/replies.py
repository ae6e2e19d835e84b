"""Every reply is checked before a collector reads it: a malformed 200 is a gap, never a crash.

botocore trusts what it is sent. Given an HTML page, an empty body or ``null`` where a list
belongs, its JSON parser answers ``{}`` (a listing with nothing in it: a silent pass), turns
a string into a list of its characters, or raises KeyError / ValueError / ParseError from
deep inside. One mechanism, three checkpoints, all raising :class:`MalformedReply` — a
botocore error, so every caller's existing fail-closed path records a gap on its scope:

1. :func:`check_reply` (an ``after-call`` hook on every client, see guard.py) holds the body
   as sent against botocore's own service model: a body where the operation returns one; for
   JSON protocols a JSON object whose members have their modelled types; for XML protocols
   well-formed XML with the operation's root element and no text where a list belongs.
2. :func:`parse_failure` (``after-call-error``): an exception botocore's parser raised while
   reading a reply becomes a malformed reply.
3. :class:`Reply`, the mapping call()/pages() hand to collectors: a member the collector
   subscripts (``reply["Table"]``, a member AWS always sends; every page's list) and the
   reply lacks raises ReadFailure; ``.get`` stays for members AWS may leave out.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from dsscan.scanners.aws.failures import MalformedReply, ReadFailure

_JSON = {"json", "rest-json"}
_XML = {"query", "ec2", "rest-xml"}
_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,), "blob": (str,), "boolean": (bool,), "integer": (int,), "long": (int,),
    "float": (int, float), "double": (int, float), "timestamp": (int, float, str),
}


class Reply(dict):  # type: ignore[type-arg]
    """A reply (or a structure inside one): subscripting a member it lacks is a malformed
    reply of the operation, raised as the ReadFailure every collector already turns into a
    gap, instead of a KeyError that would end the sweep."""

    __slots__ = ("_op",)

    def __init__(self, data: dict[str, Any], op: tuple[str, str]) -> None:
        super().__init__(data)
        self._op = op

    def __missing__(self, key: str) -> Any:
        raise ReadFailure(*self._op, MalformedReply(detail=f"no {key}"))


def wrap(value: Any, service: str, operation: str) -> Any:
    """The reply with every mapping in it a :class:`Reply` naming the operation."""
    op = (service, operation)

    def go(v: Any) -> Any:
        if isinstance(v, dict):
            return Reply({k: go(x) for k, x in v.items()}, op)
        if isinstance(v, list):
            return [go(x) for x in v]
        return v

    return go(value)


def check_reply(http_response: Any, model: Any) -> None:
    """Raise MalformedReply when a successful reply does not have the operation's shape."""
    if http_response.status_code >= 300 or getattr(http_response, "raw", None) is None:
        return  # errors are botocore's to parse; a Stubber's answer has no body to check
    shape = model.output_shape
    if shape is None or model.has_streaming_output:
        return  # nothing to check, or a body the caller streams (never read here)
    protocol = model.service_model.protocol
    body = http_response.content
    payload = shape.serialization.get("payload")
    target = shape.members[payload] if payload else shape
    if target.type_name in ("string", "blob"):  # a raw payload (a bucket policy's text)
        if not body:
            raise MalformedReply(detail=f"empty {payload}")
        return
    if not body.strip():
        if _body_members(target):
            raise MalformedReply(detail="empty body")
        return
    if protocol in _JSON:
        _check_json_body(body, target)
    elif protocol in _XML:
        _check_xml_body(body, target, protocol, model.name)


def parse_failure(exception: BaseException) -> MalformedReply:
    """What an exception raised while botocore parsed a reply means to a sweep."""
    return MalformedReply(detail=f"could not be parsed ({type(exception).__name__})")


def _body_members(shape: Any) -> bool:
    if shape.type_name != "structure":
        return True
    return any(not m.serialization.get("location") for m in shape.members.values())


# --- JSON ------------------------------------------------------------------------------------

def _check_json_body(body: bytes, shape: Any) -> None:
    try:
        doc = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        raise MalformedReply(detail="not JSON") from None
    problem = _json(doc, shape, "reply")
    if problem:
        raise MalformedReply(detail=problem)


def _json(value: Any, shape: Any, path: str) -> str | None:
    """The first place where ``value`` is not of ``shape`` (member names only: no values).

    ``null`` is "absent", as botocore reads it (moto sends nulls for unset members, lists
    too): where a listing's list is null, it is missing, and pages() refuses the page."""
    t = shape.type_name
    if value is None:
        return None
    if t == "structure":
        if not isinstance(value, dict):
            return f"{path} is not an object"
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue  # a header or the status code, not in the body
            key = member.serialization.get("name", name)
            if key in value:
                problem = _json(value[key], member, f"{path}.{name}")
                if problem:
                    return problem
        return None
    if t == "list":
        if not isinstance(value, list):
            return f"{path} is not a list"
        return next(filter(None, (_json(v, shape.member, f"{path}[]") for v in value)), None)
    if t == "map":
        if not isinstance(value, dict):
            return f"{path} is not a map"
        return next(filter(None, (_json(v, shape.value, f"{path}{{}}")
                                  for v in value.values())), None)
    types = _SCALARS.get(t)
    if types and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
        return f"{path} is not a {t}"
    return None


# --- XML -------------------------------------------------------------------------------------

def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check_xml_body(body: bytes, shape: Any, protocol: str, operation: str) -> None:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise MalformedReply(detail="not XML") from None
    if _local(root.tag).lower() == "html":  # a proxy's page, well-formed as it may be
        raise MalformedReply(detail="an HTML page")
    if protocol in ("query", "ec2"):
        if _local(root.tag) != f"{operation}Response":
            raise MalformedReply(detail=f"root element is not {operation}Response")
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            found = [c for c in root if _local(c.tag) == wrapper]
            if not found:
                raise MalformedReply(detail=f"no {wrapper}")
            root = found[0]
    if operation == "GetBucketLocation" and _local(root.tag) != "LocationConstraint":
        # The one S3 reply botocore cannot model: read by hand, any other document would
        # read as "no constraint", i.e. us-east-1, and the bucket would leave the sweep.
        raise MalformedReply(detail="root element is not LocationConstraint")
    problem = _xml(root, shape, "reply")
    if problem:
        raise MalformedReply(detail=problem)


def _xml_name(name: str, shape: Any) -> str:
    # botocore's rule: a flattened list is named after its member's serialized name.
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        member_name = shape.member.serialization.get("name")
        if member_name:
            return member_name
    return shape.serialization.get("name", name)


def _xml(elem: Any, shape: Any, path: str) -> str | None:
    children = list(elem)
    t = shape.type_name
    if t == "structure":
        by_tag: dict[str, list[Any]] = {}
        for c in children:
            by_tag.setdefault(_local(c.tag), []).append(c)
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue
            nodes = by_tag.get(_xml_name(name, member), [])
            if member.type_name == "list" and member.serialization.get("flattened"):
                problem = next(filter(None, (_xml(n, member.member, f"{path}.{name}[]")
                                             for n in nodes)), None)
            else:
                problem = _xml(nodes[0], member, f"{path}.{name}") if nodes else None
            if problem:
                return problem
        return None
    if t == "list":
        if not children and (elem.text or "").strip():
            return f"{path} is text, not a list"
        return next(filter(None, (_xml(c, shape.member, f"{path}[]") for c in children)), None)
    if t in _SCALARS and children:
        return f"{path} is not a {t}"
    return None
