"""Renderers: one function per output format, writing a ``Hit`` as that server would.

Each server escapes differently and the analyzer must cope with all of them: nginx writes
``"``, ``\\`` and non-ASCII bytes as ``\\xHH``; Apache writes ``\\"`` and ``\\xhh``; Traefik
writes strings unescaped; the security-proxy (Tomcat) backslash-escapes quotes and keeps
UTF-8; HAProxy's syslog line holds no header at all; the gateway writes JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from analyzer.generator import data
from analyzer.generator.clock import Clock
from analyzer.generator.model import Client, Hit

_STREAMED = frozenset({"getmap", "getfeature", "getcoverage", "tile", "export", "static"})
_TRAEFIK_BACKENDS = {
    app: f"http://172.18.0.{11 + index}:{port}"
    for index, (app, (_, port)) in enumerate(data.UPSTREAMS.items())
}


@dataclass(frozen=True, slots=True)
class Context:
    """What a renderer needs besides the hit: the site's host and clocks."""

    host: str
    local: Clock  # the site's time zone
    utc: Clock  # Traefik logs in UTC


Renderer = Callable[[Hit, int, Context], str]  # (hit, 1-based line number, context)


def _nginx_byte(byte: int) -> str:
    printable = 32 <= byte <= 126 and byte not in (0x22, 0x5C)
    return chr(byte) if printable else f"\\x{byte:02X}"


def _apache_byte(byte: int) -> str:
    if byte in (0x22, 0x5C):
        return "\\" + chr(byte)
    return chr(byte) if 32 <= byte <= 126 else f"\\x{byte:02x}"


_NGINX_BYTES = [_nginx_byte(byte) for byte in range(256)]
_APACHE_BYTES = [_apache_byte(byte) for byte in range(256)]


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


@lru_cache(maxsize=4096)
def nginx_escape(text: str) -> str:
    """nginx's default log escaping: ``"``, ``\\``, control and non-ASCII bytes as \\xHH."""
    return text if _plain(text) else "".join([_NGINX_BYTES[b] for b in text.encode()])


@lru_cache(maxsize=4096)
def apache_escape(text: str) -> str:
    """mod_log_config's escaping: ``\\"`` and ``\\\\``, other unprintable bytes as \\xhh."""
    return text if _plain(text) else "".join([_APACHE_BYTES[b] for b in text.encode()])


def tomcat_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def basic_auth_user(client: Client) -> str | None:
    """Front proxies only see a user when a GIS client or a script sends Basic auth."""
    if client.user is None or client.agent.kind not in ("gis", "script"):
        return None
    return client.user.name


def _combined(hit: Hit, ctx: Context, escape: Callable[[str], str], size: str) -> str:
    client = hit.client
    user = basic_auth_user(client)
    return (
        f"{client.ip} - {escape(user) if user else '-'} [{ctx.local.clf(hit.ts)}] "
        f'"{hit.req.method} {hit.req.target} HTTP/1.1" {hit.status} {size} '
        f'"{escape(hit.referer) if hit.referer else "-"}" '
        f'"{escape(client.agent.user_agent) if client.agent.user_agent else "-"}"'
    )


def nginx_combined(hit: Hit, n: int, ctx: Context) -> str:
    return _combined(hit, ctx, nginx_escape, str(hit.size))


def nginx(hit: Hit, n: int, ctx: Context) -> str:
    """combined + `` $request_time`` (seconds, millisecond resolution)."""
    return f"{_combined(hit, ctx, nginx_escape, str(hit.size))} {hit.duration_ms / 1000:.3f}"


def apache_combined(hit: Hit, n: int, ctx: Context) -> str:
    return _combined(hit, ctx, apache_escape, str(hit.size) if hit.size else "-")


def apache(hit: Hit, n: int, ctx: Context) -> str:
    """combined + `` %D`` (microseconds)."""
    return f"{apache_combined(hit, n, ctx)} {int(hit.duration_ms * 1000)}"


def traefik(hit: Hit, n: int, ctx: Context) -> str:
    """Traefik's CLF: request count, router, backend URL and milliseconds close the line."""
    client, req = hit.client, hit.req
    ua = client.agent.user_agent or "-"
    return (
        f"{client.ip} - {basic_auth_user(client) or '-'} [{ctx.utc.clf(hit.ts)}] "
        f'"{req.method} {req.target} HTTP/1.1" {hit.status} {hit.size} '
        f'"{hit.referer or "-"}" "{ua}" {n} "{req.app}@docker" '
        f'"{_TRAEFIK_BACKENDS[req.app]}" {int(hit.duration_ms)}ms'
    )


def secproxy(hit: Hit, n: int, ctx: Context) -> str:
    """The security-proxy: ``user|org|roles``, full backend URLs, service name, ms."""
    client, req = hit.client, hit.req
    user = client.user
    who = (
        f"{user.name}|{data.ORGS[user.org].name}|{','.join(user.roles)}"
        if user
        else "anonymousUser||"
    )
    service, port = data.UPSTREAMS[req.app]
    url = (
        f"http://{service}:{port}{req.target}"
        if req.app in data.SECPROXY_FULL_URL_APPS
        else req.target
    )
    size = "-" if req.profile in _STREAMED or not hit.size else str(hit.size)
    referer = tomcat_escape(hit.referer) if hit.referer else "-"
    ua = tomcat_escape(client.agent.user_agent) if client.agent.user_agent else "-"
    return (
        f"{client.ip} - {who} [{ctx.local.clf(hit.ts)}] "
        f'"{req.method} {url} HTTP/1.1" {hit.status} {size} "{referer}" "{ua}" - '
        f'"{service if req.app != "other" else "-"}" "-" {int(hit.duration_ms)}ms'
    )


def haproxy(hit: Hit, n: int, ctx: Context) -> str:
    """HAProxy's default ``option httplog`` line inside a syslog line (local time, no zone)."""
    client, req = hit.client, hit.req
    syslog_time, accept_time = ctx.local.haproxy(hit.ts)
    total = int(hit.duration_ms)
    connect = n % 3 // 2  # 0 or 1 ms, as on a LAN
    server = max(0, total - connect - total // 10)
    port = 1024 + int(hit.ts * 1e6) % 64000
    active = 5 + n % 40
    return (
        f"{syslog_time} lb1 haproxy[2317]: {client.ip}:{port} [{accept_time}] fe_https~ "
        f"be_{req.app}/{req.app}1 0/0/{connect}/{server}/{total} {hit.status} "
        f"{hit.size + 260} - - ---- {active}/{active}/{active // 3}/{active // 6}/0 0/0 "
        f'"{req.method} {req.target} HTTP/1.1"'
    )


def gateway_json(hit: Hit, n: int, ctx: Context) -> str:
    """The gateway's JSON access event: logstash layout, MDC entries as flat attributes."""
    client, req = hit.client, hit.req
    path, _, query = req.target.partition("?")
    event: dict[str, object] = {
        "@timestamp": ctx.local.iso(hit.ts),
        "@version": "1",
        "message": f"{req.method} {path} {hit.status}",
        "logger_name": "org.georchestra.gateway.accesslog",
        "thread_name": f"reactor-http-epoll-{1 + n % 4}",
        "level": "INFO",
        "level_value": 20000,
        "http.request.method": req.method,
        "http.request.url": f"https://{ctx.host}{req.target}",
        "http.request.path": path,
    }
    for name, value in parse_qsl(query, keep_blank_values=True):
        event[f"http.request.parameter.{name}"] = value
    event["http.status_code"] = str(hit.status)
    event["client.address"] = client.ip
    if client.agent.user_agent:
        event["user_agent.original"] = client.agent.user_agent
    if client.user:
        event["enduser.id"] = client.user.name
        event["enduser.org.id"] = client.user.org
        event["enduser.roles"] = ",".join(client.user.roles)
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


RENDERERS: dict[str, Renderer] = {
    "secproxy": secproxy,
    "nginx": nginx,
    "nginx-combined": nginx_combined,
    "apache": apache,
    "apache-combined": apache_combined,
    "haproxy": haproxy,
    "traefik": traefik,
    "gateway-json": gateway_json,
}
