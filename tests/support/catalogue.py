"""A site's GeoNetwork 4 for the tests: its search API on a local port.

It answers ``POST /geonetwork/srv/api/search/records/_search`` with the shape GeoNetwork 4
documents (an Elasticsearch response whose sources hold ``uuid``, ``resourceTitleObject``
and ``link``), as the analyzer reads it (`analyzer.db.titles`), and keeps the UUIDs it
was asked for.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Container, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SEARCH = "/geonetwork/srv/api/search/records/_search"


class Catalogue(ThreadingHTTPServer):
    """Knows the sources of `records`, or, without them, every record (titled "Plan" and
    its UUID's first 8 characters), but those in `unknown` (deleted or private)."""

    def __init__(self, records: Mapping[str, dict[str, Any]] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.records = None if records is None else {uuid: dict(s) for uuid, s in records.items()}
        self.unknown: Container[str] = set()
        self.asked: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/geonetwork"

    def source(self, uuid: str) -> dict[str, Any] | None:
        if uuid in self.unknown:
            return None
        if self.records is None:
            return {"resourceTitleObject": {"default": f"Plan {uuid[:8]}", "langfre": "x"}}
        return self.records.get(uuid)


class _Handler(BaseHTTPRequestHandler):
    server: Catalogue

    def do_POST(self) -> None:
        if self.path != SEARCH:
            self.send_error(404)
            return
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        uuids = query["query"]["terms"]["uuid"]
        self.server.asked += uuids
        sources = [(uuid, self.server.source(uuid)) for uuid in uuids]
        hits = [
            {"_id": uuid, "_source": {"uuid": uuid, **source}}
            for uuid, source in sources
            if source is not None
        ]
        body = json.dumps({"hits": {"total": {"value": len(hits)}, "hits": hits}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(records: Mapping[str, dict[str, Any]] | None = None) -> Iterator[Catalogue]:
    """A catalogue answering on a thread of its own until the block ends."""
    server = Catalogue(records)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
