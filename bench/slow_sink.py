#!/usr/bin/env python3
"""An SMTP sink that waits DELAY_MS before each reply, like a server a
network round trip away (loopback answers in microseconds, a real
submission server tens of milliseconds later). Accepts and discards
everything; counts messages. For bench/send.sh only.

    slow_sink.py PORT DELAY_MS
"""
import asyncio
import sys

port, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
count = 0


async def reply(writer, line):
    await asyncio.sleep(delay)
    writer.write(line.encode() + b"\r\n")
    await writer.drain()


async def session(reader, writer):
    global count
    await reply(writer, "220 slow-sink ESMTP")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            await reply(writer, "250-slow-sink\r\n250-PIPELINING\r\n250 8BITMIME")
        elif verb == b"DATA":
            await reply(writer, "354 go ahead")
            while True:
                data = await reader.readline()
                if not data or data == b".\r\n":
                    break
            count += 1
            await reply(writer, "250 2.0.0 Ok: queued as %d" % count)
        elif verb == b"QUIT":
            await reply(writer, "221 bye")
            break
        else:
            await reply(writer, "250 Ok")
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
