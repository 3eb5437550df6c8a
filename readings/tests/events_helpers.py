"""Read back the live events a reading's group received (in-memory channel layer)."""

import asyncio
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


class Listener:
    def __init__(self, group):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def drain(self):
        async def receive_all():
            out = []
            while True:
                try:
                    out.append(await asyncio.wait_for(self.layer.receive(self.channel), 0.05))
                except asyncio.TimeoutError:
                    return out

        return async_to_sync(receive_all)()

    def names(self):
        return [message["event"] for message in self.drain()]


@contextmanager
def listening(group):
    yield Listener(group)
