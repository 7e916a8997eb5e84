"""MQTT plumbing every part shares: broker URLs, credentials, TLS, sessions, the MQTT 5 -> 3.1.1 fallback.

The agent's publisher and MQTT source, the simulated pumps' Wi-Fi modules,
the demo's broker watch and the benches all reach a broker through paho-mqtt
2.x (callback API 2). What they have in common is decided here, once:

* A broker is named by a URL, ``mqtt://[user:password@]host[:port]`` or
  ``mqtts://...`` for TLS; the port defaults to 1883, or 8883 with TLS.
  Credentials and TLS files given apart from the URL win over the URL's.
  The user name and password are taken from the URL as written (no
  percent-decoding).
* TLS verifies the broker's certificate (against ``ca_file``, else the
  system's trust store) and its host name unless ``tls_insecure`` (test
  benches only); a client certificate and key give mutual TLS.
* A persistent session (a fixed client id; MQTT 5 ``clean_start=False`` with
  a session expiry, or 3.1.1 ``clean_session=False``) lets the broker keep
  QoS 1 messages for a client that is away. A non-persistent client starts
  clean.
* ``CONNECT_TIMEOUT``: a broker that accepted the TCP connection has this
  long to answer the CONNECT. A client asking for ``protocol="auto"`` speaks
  MQTT 5 first and falls back to 3.1.1 for good when the broker refuses
  MQTT 5 ("Unsupported protocol version", see :func:`refuses_mqtt5`) or does
  not answer an MQTT 5 CONNECT in that time (amqtt stalls on one that
  carries properties or a will instead of refusing it). The TCP and TLS
  handshake before it is bounded by paho's own socket timeout.
* Reconnects wait by a :class:`~heatwatch.backoff.Backoff` (jittered, with a
  low cap, so a client is back within seconds of its broker's return and a
  fleet does not come back in lock step); paho runs the reconnects in its
  thread and asks the backoff for each wait (:class:`PacedClient`).

Each part keeps the choices that are its own: which protocol it asks for,
whether its session persists and for how long, its last will, its QoS.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from heatwatch.backoff import Backoff

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
SCHEMES = ("mqtt", "mqtts")
# seconds a broker has to answer a CONNECT (CONNACK); an MQTT 5 CONNECT unanswered this
# long means the broker does not speak MQTT 5 (protocol "auto" then tries 3.1.1)
CONNECT_TIMEOUT = 10.0
KEEPALIVE = 30  # seconds between PINGREQs on a quiet link; the broker drops us after 1.5 x this

# the protocols a part may ask for: "auto" is MQTT 5 with the 3.1.1 fallback
PROTOCOLS: dict[str, int] = {"auto": mqtt.MQTTv5, "5": mqtt.MQTTv5, "3.1.1": mqtt.MQTTv311}

_UNSUPPORTED_PROTOCOL = 0x84  # paho maps a 3.1.1 CONNACK rc=1, and any rc=1 to an MQTT 5 CONNECT, onto it
# CONNACK refusals a retry cannot fix: client identifier not valid, bad user name or password,
# not authorized, banned (3.1.1 return codes 2, 4 and 5 map onto the first three)
_FINAL_REFUSALS = frozenset({0x85, 0x86, 0x87, 0x8A})


class BrokerUrlError(ValueError):
    """A broker URL that names no broker; the message says what is expected."""


@dataclass(frozen=True)
class BrokerLink:
    """Where a broker is and how to reach it: address, credentials, TLS."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    username: str | None = None  # None: connect without credentials
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None  # None with tls: the system's trust store
    cert_file: str | None = None  # client certificate (mutual TLS)
    key_file: str | None = None
    tls_insecure: bool = False  # skip host name verification: test benches only

    @classmethod
    def from_url(cls, url: str, *, schemes: tuple[str, ...] = SCHEMES, tls: bool = False,
                 username: str | None = None, password: str | None = None, ca_file: str | None = None,
                 cert_file: str | None = None, key_file: str | None = None,
                 tls_insecure: bool = False) -> "BrokerLink":
        """The link a broker URL names; ``schemes`` are the ones this caller accepts.

        ``mqtts`` (or ``tls=True``) turns TLS on. Credentials given here win over
        the URL's; without a user name there are none. Raises BrokerUrlError.
        """
        expected = " or ".join(f"{s}://host[:port]" for s in schemes)
        parts = urlparse(url)
        if parts.scheme not in schemes or not parts.hostname:
            raise BrokerUrlError(f"broker URL {url!r}: expected {expected}")
        try:
            port = parts.port
        except ValueError:
            raise BrokerUrlError(f"broker URL {url!r}: port is not a number from 1 to 65535") from None
        if port == 0:
            raise BrokerUrlError(f"broker URL {url!r}: port is not a number from 1 to 65535")
        tls = tls or parts.scheme == "mqtts"
        username = username or parts.username or None
        return cls(
            host=parts.hostname, port=port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT),
            username=username, password=(password or parts.password or None) if username else None,
            tls=tls, ca_file=ca_file or None, cert_file=cert_file or None, key_file=key_file or None,
            tls_insecure=tls_insecure,
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class BrokerAccount:
    """A broker as a config file names it: URL, credentials and TLS files ("" = not given).

    The agent's [broker], its MQTT source's pump-side broker and the gateway's [broker] are
    each one of these plus their own settings; ``link()`` turns it into the BrokerLink a
    client connects with. Raises BrokerUrlError for a URL that names no broker.
    """

    url: str = ""
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""

    def link(self) -> BrokerLink:
        return BrokerLink.from_url(self.url, tls=self.tls, username=self.username, password=self.password,
                                   ca_file=self.ca_file, cert_file=self.cert_file, key_file=self.key_file)


def check_tls_files(link: BrokerLink) -> None:
    """Refuse, naming the file, a CA, certificate or key that is missing, unreadable or not PEM.

    Checked at start-up: paho would otherwise fail in its own thread with a bare
    ``FileNotFoundError`` that names no path, or an ``SSLError`` that names no file.
    """
    for what, path in (("ca_file", link.ca_file), ("cert_file", link.cert_file), ("key_file", link.key_file)):
        if path and not os.path.isfile(path):
            raise BrokerUrlError(f"{what} {path}: no such file")
        if path and not os.access(path, os.R_OK):
            raise BrokerUrlError(f"{what} {path}: not readable by this user")
    if link.key_file and not link.cert_file:
        raise BrokerUrlError(f"key_file {link.key_file} needs a cert_file (the client certificate)")
    if not link.tls:
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if link.ca_file:
        try:
            ctx.load_verify_locations(cafile=link.ca_file)
        except (ssl.SSLError, ValueError) as exc:
            raise BrokerUrlError(f"ca_file {link.ca_file}: not a PEM certificate ({exc})") from None
    if link.cert_file:
        try:
            ctx.load_cert_chain(link.cert_file, link.key_file)
        except (ssl.SSLError, ValueError) as exc:
            files = f"cert_file {link.cert_file}" + (f" / key_file {link.key_file}" if link.key_file else "")
            raise BrokerUrlError(f"{files}: not a PEM certificate and its key, or they do not match "
                                 f"({exc})") from None


class PacedClient(mqtt.Client):
    """paho's client whose reconnect waits come from a :class:`Backoff` (any factor, jitter, float seconds).

    paho itself only doubles a whole-second delay up to a cap, with no jitter: after a
    long outage the next try could be a minute away. paho calls ``_reconnect_wait``
    before every reconnect attempt of its loop, and clears ``_reconnect_delay`` on a
    successful CONNACK; both are read here (paho is pinned below 3).
    """

    def __init__(self, *args: Any, backoff: Backoff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backoff = backoff

    def _reconnect_wait(self) -> None:
        if self._reconnect_delay is None:  # connected since the last wait (or never waited): start over
            self.backoff.reset()
        delay = self.backoff.next_delay()
        self.reconnect_delay_set(delay, delay)  # type: ignore[arg-type]  # paho sleeps floats fine
        super()._reconnect_wait()


def make_client(link: BrokerLink, *, client_id: str = "", protocol: int = mqtt.MQTTv311,
                persistent: bool = False, reconnect: Backoff | None = None) -> mqtt.Client:
    """A paho client for ``link``: callback API 2, credentials, TLS, session kind, reconnect delays.

    ``persistent`` needs a fixed ``client_id`` (the broker finds the session by it).
    For MQTT 5 the session is asked for at connect time: pass :func:`session_args`.
    """
    if persistent and not client_id:
        raise ValueError("a persistent session needs a fixed client id")
    kwargs: dict[str, Any] = dict(client_id=client_id, protocol=protocol,
                                  clean_session=None if protocol == mqtt.MQTTv5 else not persistent)
    client = (mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs) if reconnect is None
              else PacedClient(mqtt.CallbackAPIVersion.VERSION2, backoff=reconnect, **kwargs))
    if link.username is not None:
        client.username_pw_set(link.username, link.password)
    if link.tls:
        client.tls_set(ca_certs=link.ca_file, certfile=link.cert_file, keyfile=link.key_file,
                       cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.tls_insecure_set(link.tls_insecure)
    return client


def session_args(protocol: int, *, persistent: bool, session_expiry: int) -> dict[str, Any]:
    """The session part of an MQTT 5 CONNECT (``clean_start`` and the session expiry), as
    keyword arguments to ``connect``/``connect_async``; none for 3.1.1, whose session kind
    was set on the client (:func:`make_client`)."""
    if protocol != mqtt.MQTTv5:
        return {}
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry if persistent else 0
    return {"clean_start": not persistent, "properties": props}


def refuses_mqtt5(reason: ReasonCode) -> bool:
    """The broker answered an MQTT 5 CONNECT with "Unsupported protocol version": try 3.1.1."""
    return reason.is_failure and reason.value == _UNSUPPORTED_PROTOCOL


def refusal_is_final(reason: ReasonCode) -> bool:
    """A CONNACK refusal that retrying with the same configuration cannot fix (credentials, ACL, ban)."""
    return reason.is_failure and reason.value in _FINAL_REFUSALS


def protocol_name(protocol: int) -> str:
    """"5" or "3.1.1", as an operator reads it."""
    return "5" if protocol == mqtt.MQTTv5 else "3.1.1"
