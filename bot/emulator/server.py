"""The aiohttp application: REST under /api/v10, the gateway websocket, and attachment downloads.

One middleware does what every Discord endpoint shares: record the call, check the bot token, inject
rate limits, turn errors into Discord's JSON bodies, and send exactly `Content-Type: application/json`
(discord.py parses JSON only for that exact header).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from .errors import ApiError
from .messages import Upload
from .rest import JSON_KEY, UPLOADS_KEY, RestApi

if TYPE_CHECKING:
    from .driver import Emulator

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
RETRY_AFTER = 0.05
# Interaction callbacks and webhook follow-ups authenticate with their token in the URL.
TOKEN_AUTH = re.compile(r"^/(interactions|webhooks)/")
UPLOAD_FIELD = re.compile(r"^files\[(\d+)\]$")



def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    if data is None and status < 300:
        return web.Response(status=204, headers=headers)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status=status, headers=all_headers)


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(middlewares=[_api_middleware(emu)], client_max_size=64 * 1024 * 1024)
    api = RestApi(emu)
    for method, path, handler in api.routes():
        app.router.add_route(method, API_PREFIX + path, handler)
    app.router.add_get("/gateway", emu.gateway.handle)
    app.router.add_get("/attachments/{file_id}/{filename}", _attachment_handler(emu))
    return app


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON body, or multipart `payload_json` plus `files[n]` parts as discord.py sends uploads."""
    if request.content_type == "application/json" and request.can_read_body:
        raw = await request.read()
        return (orjson.loads(raw) if raw else None), []
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        uploads: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None)
            if name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif name and (match := UPLOAD_FIELD.match(name)):
                data = bytes(await part.read(decode=False))  # type: ignore[union-attr]
                content_type = part.headers.get("Content-Type")
                filename = part.filename or name  # type: ignore[union-attr]
                uploads.append(Upload(int(match.group(1)), filename, data, content_type))
        return payload, uploads
    return None, []


def _api_middleware(emu: Emulator):  # type: ignore[no-untyped-def]
    from .driver import RestCall

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        path = request.path[len(API_PREFIX):]
        call = RestCall(request.method, path, None, 0, asyncio.get_running_loop().time(), dict(request.query))
        emu.rest_calls.append(call)
        try:
            call.json, uploads = await read_body(request)
            request[JSON_KEY], request[UPLOADS_KEY] = call.json, uploads
            response = await _answer(emu, request, handler, path)
        except ApiError as exc:
            response = json_response(exc.body(), exc.status)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            log.warning("emulator has no route for %s %s", request.method, path)
            emu.unknown_routes.append(f"{request.method} {path}")
            response = json_response({"message": "404: Not Found", "code": 0}, 404)
        except Exception:
            log.exception("emulator error on %s %s", request.method, path)
            response = json_response({"message": "500: Internal Server Error", "code": 0}, 500)
        call.status = response.status
        return response

    return middleware


async def _answer(emu: Emulator, request: web.Request, handler: Any, path: str) -> web.Response:
    if not TOKEN_AUTH.match(path) and request.headers.get("Authorization") != f"Bot {emu.token}":
        raise ApiError(401, 0, "401: Unauthorized")
    if emu.global_limit is not None and not TOKEN_AUTH.match(path):
        retry_after = emu.global_limit.retry_after(asyncio.get_running_loop().time())
        if retry_after is not None:
            return _globally_limited(retry_after)
    if emu._should_rate_limit(request.method, path):
        return _rate_limited()
    result = await handler(request)
    if isinstance(result, web.StreamResponse):
        return result  # type: ignore[return-value]
    return json_response(result)


def _rate_limited() -> web.Response:
    headers = {
        "Via": "1.1 google",
        "Retry-After": "1",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": str(RETRY_AFTER),
        "X-RateLimit-Bucket": "emulator-fault",
        "X-RateLimit-Scope": "user",
    }
    body = {"message": "You are being rate limited.", "retry_after": RETRY_AFTER, "global": False}
    return json_response(body, 429, headers)


def _globally_limited(retry_after: float) -> web.Response:
    # Discord's answer past the global limit: no bucket headers, `global` in the body and X-RateLimit-Global.
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Global": "true",
        "X-RateLimit-Scope": "global",
    }
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": True}
    return json_response(body, 429, headers)


def _attachment_handler(emu: Emulator):  # type: ignore[no-untyped-def]
    async def serve(request: web.Request) -> web.Response:
        stored = emu.world.files.get(int(request.match_info["file_id"]))
        if stored is None or stored.filename != request.match_info["filename"]:
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})

    return serve
