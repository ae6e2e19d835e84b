"""Evaluation worker process: one loaded engine, chunks in, results out, over pipes.

A plain subprocess rather than multiprocessing: no re-import of the caller's ``__main__``
(which breaks scripts without a ``__main__`` guard under spawn/forkserver) and no fork of a
multi-threaded caller. Frames are an 8-byte big-endian length then a JSON payload:

    argv:            the path of a JSON file with the spec
                     {"modules", "data_json", "policies", "engine"};
    parent → worker: one frame per chunk: the rule to evaluate (``data.…``), a newline,
                     the chunk's input JSON;
    worker → parent: {"ready": true} (or {"error": ...}) once loaded, then
                     {"ok": <results>} or {"error": "<one line>"} per chunk.
"""

from __future__ import annotations

import json
import struct
import sys
from typing import IO

import orjson

_HEADER = struct.Struct(">Q")


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next payload, or None at a clean end of stream."""
    head = stream.read(_HEADER.size)
    if not head:
        return None
    if len(head) < _HEADER.size:
        raise EOFError("truncated frame header")
    (size,) = _HEADER.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError("truncated frame")
    return body


def main(spec_path: str) -> int:
    from dsscan.engines.local import EngineSpec, Evaluator
    from dsscan.errors import PolicyError

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    with open(spec_path, encoding="utf-8") as f:
        spec_d = json.load(f)
    try:
        ev = Evaluator(EngineSpec(modules=tuple(tuple(m) for m in spec_d["modules"]),
                                  data_json=spec_d["data_json"],
                                  policies=tuple(tuple(p) for p in spec_d["policies"]),
                                  engine=spec_d["engine"]))
    except PolicyError as e:
        write_frame(stdout, orjson.dumps({"error": str(e)}))
        return 1
    write_frame(stdout, b'{"ready":true}')
    while (frame := read_frame(stdin)) is not None:
        rule, _, doc = frame.partition(b"\n")
        try:
            # The engine's JSON text goes back as it is: the parent parses it once.
            out = ev.run_chunk_json(doc.decode("utf-8"), rule.decode("ascii"))
            reply = b'{"ok":' + out.encode("utf-8") + b"}"
        except PolicyError as e:
            reply = orjson.dumps({"error": str(e)})
        write_frame(stdout, reply)
    return 0


if __name__ == "__main__":  # pragma: no cover - started by dsscan.engines.local
    sys.exit(main(sys.argv[1]))
