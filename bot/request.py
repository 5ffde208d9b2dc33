"""The HTTP client for Bot API calls: PTB's BaseRequest on aiohttp.

PTB's own HTTPXRequest spends most of the bot's CPU once a few dozen requests are in flight: for
every request httpcore walks its whole connection pool and probes each socket. On this machine a
minimal PTB bot costs 11 ms of CPU per answered /start with it, and 1.4 ms with this class
(bench/load.py); our whole bot goes from about 115 to over 300 updates/s.

Behaviour follows HTTPXRequest: the same timeouts (connect, read, write and pool, media uploads
get longer), proxies from the environment (HTTPS_PROXY, NO_PROXY), certifi's certificates, PTB's
User-Agent, and the same errors: TimedOut("Pool timeout: …") when no connection could be had, so
the request was certainly not sent and may be retried; TimedOut when Telegram did not answer in
time (it may have acted); NetworkError for everything else.
"""

from __future__ import annotations

import ssl
import urllib.request
from urllib.parse import urlsplit

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session with at most `connections` open at once."""

    def __init__(
        self,
        connections: int = 1,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._defaults = {"write": write_timeout, "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> proxy URL

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connections, ssl=ssl.create_default_context(cafile=certifi.where())
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = request_data is not None and request_data.contains_files
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        write = self._or_default("write", write_timeout)
        if uploads and write_timeout is BaseRequest.DEFAULT_NONE:
            write = self._media_write_timeout
        connect = _sum(self._or_default("pool", pool_timeout), self._or_default("connect", connect_timeout))
        timeout = aiohttp.ClientTimeout(total=_sum(connect, write, read), connect=connect, sock_read=read)
        try:
            body, headers = _body(request_data)
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise TimedOut(
                f"Pool timeout: no connection to the Bot API within {connect} s. The request was not sent."
            ) from error
        except TimeoutError as error:  # Telegram did not answer in time: it may have acted
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy(self, url: str) -> str | None:
        """The proxy from the environment (HTTPS_PROXY, NO_PROXY…) for this URL's host, looked up
        once per host: aiohttp's own trust_env reads the environment and ~/.netrc on every request."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            bypass = not key[1] or urllib.request.proxy_bypass(key[1])
            self._proxies[key] = None if bypass else urllib.request.getproxies().get(key[0])
        return self._proxies[key]

    def _or_default(self, name: str, value: float | None) -> float | None:
        return self._defaults[name] if value is BaseRequest.DEFAULT_NONE else value


_JSON = {"Content-Type": "application/json"}


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """The body as the Bot API reads it: JSON, or multipart when files are uploaded. (A menu message
    as JSON takes 0.05 ms to encode, as the urlencoded form PTB's HTTPXRequest sends 0.18 ms.)"""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.json_payload, _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None


def _sum(*seconds: float | None) -> float | None:
    """The sum of timeouts; None (no limit) if any of them is None."""
    return None if any(value is None for value in seconds) else sum(seconds)
