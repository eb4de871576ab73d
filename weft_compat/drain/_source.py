"""The Celery broker a drain reads: one kombu connection to Redis or RabbitMQ.

Messages are taken one at a time (`basic_get`, unacknowledged) as raw kombu messages,
never decoded by kombu, and acknowledged by the caller once their call is recorded.
Publishing (to the parking queue, and back from it) goes through the default exchange
straight to a queue by name, with publisher confirms on RabbitMQ, so a message is on
the broker before the one it copies is acknowledged. kombu's Redis transport keeps the
messages a lost consumer held in its `unacked` hash until their visibility timeout;
`restore_unacked` puts those of the drained queues back at once, for when no other
consumer of them runs. On Redis a message is taken by one script that pops it and
writes it to that hash together, where kombu's own `basic_get` pops first and writes
the hash in a second round trip: a drain killed between the two would lose the message.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import kombu
from kombu.transport import virtual

from weft_compat._config import without_password
from weft_compat.exceptions import BrokerUnavailable, InvalidOptionValue

__all__ = ["CeleryBroker", "RawMessage", "check_broker_url"]

# kombu ships no type hints: its objects stay behind this module's typed surface.
_kombu: Any = kombu
# The transport-independent QoS, whose `append` only records a delivery in memory.
_kombu_qos: Any = virtual.QoS

_SCHEMES: Final = {
    "redis": "redis",
    "rediss": "redis",
    "amqp": "amqp",
    "amqps": "amqp",
    "pyamqp": "amqp",
}
# What a copy of a message keeps of its properties. A RabbitMQ TTL (`expiration`, which
# Celery sets from `expires`) is left out: a parked message must not vanish; its
# `expires` header still says when it expires.
_KEPT_PROPERTIES: Final = ("correlation_id", "reply_to", "priority", "delivery_mode")
# Messages a dry run reads from a Redis list per round trip.
_BROWSE_PAGE: Final = 500
# Pop the next message of the first non-empty list (kombu's priority lists, in the
# order kombu reads them) and hold it in kombu's unacked hash and index, in one step.
# The hash entry is what kombu's own QoS writes (`[payload, exchange, routing_key]`), so
# kombu acks, requeues and restores it as one of its own.
_TAKE_SCRIPT: Final = """
local unacked, index, now = ARGV[1], ARGV[2], ARGV[3]
for _, list in ipairs(KEYS) do
  local item = redis.call('RPOP', list)
  if item then
    local ok, payload = pcall(cjson.decode, item)
    local properties = ok and type(payload) == 'table' and payload['properties']
    local tag = type(properties) == 'table' and properties['delivery_tag']
    if type(tag) ~= 'string' then
      -- Not a message kombu wrote: leave it where it was, untouched.
      redis.call('RPUSH', list, item)
      return redis.error_reply('not a kombu message: ' .. list)
    end
    local delivery = properties['delivery_info'] or {}
    local held = '[' .. item .. ',' .. cjson.encode(delivery['exchange'] or '') .. ','
      .. cjson.encode(delivery['routing_key'] or '') .. ']'
    redis.call('ZADD', index, now, tag)
    redis.call('HSET', unacked, tag, held)
    return item
  end
end
return false
"""


def check_broker_url(url: str) -> str:
    """The kind of broker `url` names (`redis` or `amqp`); raises for anything else."""
    scheme = urlsplit(url).scheme.lower()
    kind = _SCHEMES.get(scheme)
    if kind is None:
        raise InvalidOptionValue(
            f"--broker {without_password(url)!r} is not a Redis or RabbitMQ URL; pass one "
            "such as redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//"
        )
    return kind


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message taken from a queue, as the broker holds it (never decoded by kombu)."""

    headers: dict[str, Any]
    body: bytes | str
    content_type: str | None
    content_encoding: str | None
    properties: dict[str, Any]
    taken: Any  # the kombu message, to acknowledge or give back; None if only looked at

    def ack(self) -> None:
        """Acknowledge: the broker forgets the message."""
        if self.taken is None:
            raise RuntimeError("a message only looked at (browsed) cannot be acknowledged")
        self.taken.ack()

    def requeue(self) -> None:
        """Give the message back to its queue, unacknowledged (one only looked at never
        left it)."""
        if self.taken is not None:
            self.taken.requeue()


class CeleryBroker:
    """A connection to the Celery broker, and the few operations a drain needs."""

    def __init__(self, url: str, *, visibility_timeout: float | None = None) -> None:
        self.kind = check_broker_url(url)
        self.url = url
        if self.kind == "redis" and importlib.util.find_spec("redis") is None:
            raise BrokerUnavailable(
                f"reading the Celery broker {without_password(url)!r} needs the redis "
                "package, which is not installed; install it with "
                "pip install 'weft-compat[redis]'"
            )
        options: dict[str, Any] = {}
        if self.kind == "amqp":
            options["confirm_publish"] = True
        if visibility_timeout is not None:
            options["visibility_timeout"] = visibility_timeout
        self.connection: Any = _kombu.Connection(url, transport_options=options)
        try:
            self.connection.ensure_connection(max_retries=1)
        except Exception as exc:
            self.connection.release()
            raise BrokerUnavailable(
                f"the Celery broker {without_password(url)!r} cannot be reached ({exc}); "
                "check --broker and that the broker runs"
            ) from exc
        self.channel: Any = self.connection.channel()
        self.producer: Any = _kombu.Producer(self.channel)
        self._queues: dict[str, Any] = {}
        self._take: Any = None

    def check_queue(self, name: str) -> int:
        """How many messages wait in `name` (on Redis, in all its priority lists); raises
        if RabbitMQ has no such queue."""
        if self.kind == "redis":
            return int(self.channel._size(name))
        channel: Any = self.connection.channel()  # A refused passive declare closes its channel.
        try:
            _, count, _ = channel.queue_declare(queue=name, passive=True)
        except self.connection.channel_errors as exc:
            raise InvalidOptionValue(
                f"RabbitMQ at {without_password(self.url)!r} has no queue {name!r} ({exc}); "
                "name a queue the Celery workers consume (-Q)"
            ) from exc
        finally:
            with contextlib.suppress(Exception):  # Already closed by the broker's refusal.
                channel.close()
        return int(count)

    def get(self, name: str) -> RawMessage | None:
        """The next message of `name`, unacknowledged and not decoded; None if it is empty."""
        message = self._take_redis(name) if self.kind == "redis" else self._take_amqp(name)
        if message is None:
            return None
        return _raw(message, taken=message)

    def browse(self, name: str) -> Iterator[RawMessage]:
        """Every message of `name`, for a dry run. On Redis they are read where they lie
        (in the order kombu would take them) and none leaves its list; on RabbitMQ, which
        cannot read a queue without taking, they are taken unacknowledged, for the
        caller to give back (the broker takes them back anyway if the connection
        drops)."""
        if self.kind != "redis":
            while (message := self.get(name)) is not None:
                yield message
            return
        channel = self.channel
        client = channel.client
        for step in channel.priority_steps:
            listed = channel._q_for_pri(name, step)
            seen = 0
            # kombu takes from the right end: read pages from there, newest page last.
            while page := client.lrange(listed, -(seen + _BROWSE_PAGE), -(seen + 1)):
                seen += len(page)
                for item in reversed(page):
                    yield _raw(channel.Message(json.loads(item), channel=channel), taken=None)
                if len(page) < _BROWSE_PAGE:
                    break

    def _take_amqp(self, name: str) -> Any:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = _kombu.Queue(name, no_declare=True).bind(self.channel)
        return queue.get(no_ack=False)

    def _take_redis(self, name: str) -> Any:
        channel = self.channel
        if self._take is None:
            self._take = channel.client.register_script(_TAKE_SCRIPT)
        lists = [channel._q_for_pri(name, step) for step in channel.priority_steps]
        qos = channel.qos
        try:
            item = self._take(
                keys=lists, args=[qos.unacked_key, qos.unacked_index_key, time.time()]
            )
        except channel.ResponseError as exc:
            # Not a usage error: the drain stops midway (exit 1), the entry left in place.
            raise RuntimeError(
                f"the Redis list of {name!r} holds an entry kombu did not write ({exc}); "
                "move it out of the list, then run the drain again"
            ) from exc
        if item is None:
            return None
        message = channel.Message(json.loads(item), channel=channel)
        # Held in the hash already: only kombu's in-memory record of it is still to make.
        _kombu_qos.append(qos, message, message.delivery_tag)
        return message

    def ack_all(self, messages: Sequence[RawMessage]) -> None:
        """Acknowledge every one of `messages` (taken, not browsed): on Redis in one round
        trip, where kombu's own acknowledgement costs one per message."""
        if self.kind != "redis":
            for message in messages:
                message.ack()
            return
        qos = self.channel.qos
        with self.channel.client.pipeline() as pipe:
            for message in messages:
                tag = message.taken.delivery_tag
                pipe.zrem(qos.unacked_index_key, tag).hdel(qos.unacked_key, tag)
            pipe.execute()
        for message in messages:
            _kombu_qos.ack(qos, message.taken.delivery_tag)  # kombu's record in memory

    def declare(self, name: str) -> None:
        """Make sure the durable queue `name` exists (the parking queue)."""
        _kombu.Queue(name, durable=True).bind(self.channel).declare()

    def publish(
        self, message: RawMessage, queue: str, headers: Mapping[str, Any], *, declare: bool = False
    ) -> None:
        """Publish `message`'s body as it is, with `headers`, to the queue `queue`."""
        if declare:
            self.declare(queue)
        properties = {
            name: message.properties[name]
            for name in _KEPT_PROPERTIES
            if message.properties.get(name) is not None
        }
        self.producer.publish(
            message.body,
            routing_key=queue,
            exchange="",
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            headers=dict(headers),
            retry=True,
            **properties,
        )

    def restore_unacked(self, queues: Sequence[str]) -> int:
        """Put back the messages of `queues` that kombu's Redis transport holds
        unacknowledged; returns how many. Only safe when no consumer of those queues (a
        Celery worker, another drain) runs: it would get them a second time."""
        if self.kind != "redis":
            return 0
        wanted = set(queues)
        qos = self.channel.qos
        client = self.channel.client
        restored = 0
        for tag, held in client.hscan_iter(qos.unacked_key):
            try:
                _, exchange, routing_key = json.loads(held)
                bound = set(self.channel._lookup(exchange, routing_key))
            except (ValueError, TypeError):
                continue
            if bound & wanted:
                qos.restore_by_tag(tag, client)
                restored += 1
        return restored

    def close(self) -> None:
        """Close the connection; messages taken and not acknowledged go back."""
        try:
            self.channel.close()
        finally:
            self.connection.release()


def _raw(message: Any, *, taken: Any) -> RawMessage:
    return RawMessage(
        headers=dict(message.headers or {}),
        body=message.body,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        properties=dict(message.properties or {}),
        taken=taken,
    )
