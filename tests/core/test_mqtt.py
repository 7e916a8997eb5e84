"""The shared MQTT plumbing: broker URLs, client setup, sessions, the fallback rule."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from heatwatch.backoff import Backoff
from heatwatch.mqtt import (BrokerLink, BrokerUrlError, make_client, refusal_is_final, refuses_mqtt5,
                            session_args)


@pytest.mark.parametrize("url, link", [
    ("mqtt://broker.example", BrokerLink("broker.example", 1883)),
    ("mqtt://10.0.0.5:1884", BrokerLink("10.0.0.5", 1884)),
    ("mqtts://broker.example", BrokerLink("broker.example", 8883, tls=True)),
    ("mqtts://broker.example:9883", BrokerLink("broker.example", 9883, tls=True)),
    ("mqtt://hp-1:s3cret@broker.example", BrokerLink("broker.example", 1883, username="hp-1", password="s3cret")),
    ("mqtt://:nouser@broker.example", BrokerLink("broker.example", 1883)),  # no user name: no credentials
])
def test_broker_urls_name_host_port_credentials_and_tls(url, link):
    assert BrokerLink.from_url(url) == link


def test_settings_beside_the_url_win_over_it():
    link = BrokerLink.from_url("mqtt://u:url-pass@h", tls=True, password="file-pass", ca_file="ca.crt")
    assert (link.port, link.tls, link.username, link.password, link.ca_file) == (8883, True, "u", "file-pass", "ca.crt")
    # empty strings (an edge.toml key left blank) are no settings
    assert BrokerLink.from_url("mqtt://h", username="", ca_file="") == BrokerLink("h")


@pytest.mark.parametrize("url, message", [
    ("http://broker.example", "expected mqtt://host[:port] or mqtts://host[:port]"),
    ("mqtt://", "expected mqtt://host"),
    ("broker.example:1883", "expected mqtt://host"),
    ("mqtt://broker.example:port", "port is not a number"),
    ("mqtt://broker.example:70000", "port is not a number"),
    ("mqtt://broker.example:0", "port is not a number"),
])
def test_bad_broker_urls_say_what_is_expected(url, message):
    with pytest.raises(BrokerUrlError) as exc:
        BrokerLink.from_url(url)
    assert message in str(exc.value) and repr(url) in str(exc.value)


def test_a_caller_may_refuse_tls_urls():
    with pytest.raises(BrokerUrlError, match=r"expected mqtt://host\[:port\]$"):
        BrokerLink.from_url("mqtts://broker.example", schemes=("mqtt",))


def test_clients_carry_session_kind_credentials_tls_and_reconnect_delays(tmp_path):
    persistent = make_client(BrokerLink("h", username="hp-1", password="pw"), client_id="heatwatch-hp-1",
                             protocol=mqtt.MQTTv311, persistent=True, reconnect=Backoff(1.0, 2.0, 30.0))
    assert persistent._clean_session is False
    assert (persistent._username, persistent._password) == (b"hp-1", b"pw")
    assert persistent.backoff.maximum == 30.0
    fresh = make_client(BrokerLink("h"))
    assert fresh._clean_session is True and fresh._username is None and fresh._ssl_context is None
    assert make_client(BrokerLink("h", tls=True))._ssl_context is not None
    with pytest.raises(ValueError, match="fixed client id"):
        make_client(BrokerLink("h"), persistent=True)

def test_paho_asks_the_backoff_for_each_reconnect_wait_and_starts_over_after_a_connect():
    """Jittered, any factor, fractions of a second: paho's own doubling of whole seconds is replaced."""
    import random

    client = make_client(BrokerLink("h"), reconnect=Backoff(0.01, 3.0, 0.05, jitter=0.5, rng=random.Random(1)))
    waits = []
    for _ in range(4):
        t0 = time.monotonic()
        client._reconnect_wait()
        waits.append(time.monotonic() - t0)
    assert client.backoff.failures == 4
    assert 0.005 <= waits[0] <= 0.04 and all(w <= 0.1 for w in waits)
    client._reconnect_delay = None  # what paho does on a successful CONNACK
    client._reconnect_wait()
    assert client.backoff.failures == 1


def test_mqtt5_sessions_are_asked_for_at_connect():
    kept = session_args(mqtt.MQTTv5, persistent=True, session_expiry=3600)
    assert kept["clean_start"] is False and kept["properties"].SessionExpiryInterval == 3600
    fresh = session_args(mqtt.MQTTv5, persistent=False, session_expiry=3600)
    assert fresh["clean_start"] is True and fresh["properties"].SessionExpiryInterval == 0
    assert session_args(mqtt.MQTTv311, persistent=True, session_expiry=3600) == {}


def test_which_refusals_mean_fall_back_and_which_mean_give_up():
    def connack(name: str) -> ReasonCode:
        return ReasonCode(PacketTypes.CONNACK, name)

    assert refuses_mqtt5(connack("Unsupported protocol version"))
    assert not refuses_mqtt5(connack("Success")) and not refuses_mqtt5(connack("Not authorized"))
    for final in ("Bad user name or password", "Not authorized", "Client identifier not valid", "Banned"):
        assert refusal_is_final(connack(final)), final
    for passing in ("Server unavailable", "Server busy", "Unsupported protocol version", "Success"):
        assert not refusal_is_final(connack(passing)), passing
