"""The prod-check's mail server: aiosmtpd in a process of its own, taking sessions in parallel.

`python -m tests.prodcheck.sink PORT FOLDER` accepts every message and writes one line per
recipient to FOLDER/received.log: the time it was accepted, the recipient, the Message-ID and
which task worker sent it. Messages to anyone but the edition's readers (signups, commenters,
the author's sign-in code) are also kept whole in FOLDER/mail/, where the prod-check reads
their links as a mail client would.

Which worker sent a message is read from the kernel, not from the site: when a client says
EHLO, the sink finds the process that owns the other end of the connection (/proc/net/tcp's
socket inode, then /proc/PID/fd) and names it after the worker whose process tree holds it
(FOLDER/workers.json, written by the prod-check whenever it starts a worker).
"""

import asyncio
import ipaddress
import json
import os
import re
import socket
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller

EDITION_READER_PREFIX = "reader"
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.MULTILINE | re.IGNORECASE)


def _socket_inode(peer: tuple[str, int], server_port: int) -> str | None:
    """The inode of the client's end of a loopback connection to this server: its local
    address and port are `peer`, its remote port ours (another socket may share the port
    number on another loopback address)."""
    local = f"{socket.htonl(int(ipaddress.IPv4Address(peer[0]))):08X}:{peer[1]:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        ours = int(fields[2].rsplit(":", 1)[1], 16) == server_port
        if fields[1] == local and ours and fields[9] != "0":  # 0: a closed one in TIME_WAIT
            return fields[9]
    return None


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _owns_socket(pid: int, inode: str) -> bool:
    target = f"socket:[{inode}]"
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return True
            except OSError:
                continue
    except OSError:
        return False
    return False


class Handler:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.mail = folder / "mail"
        self.mail.mkdir(parents=True, exist_ok=True)
        self.log = (folder / "received.log").open("a", buffering=1, encoding="utf-8")
        self.kept = 0

    def sender_of(self, peer: tuple[str, int]) -> str:
        try:
            workers = json.loads((self.folder / "workers.json").read_text())
        except (OSError, ValueError):
            return "?"
        inode = _socket_inode(peer, self.port)
        if inode is None:
            return "?"
        parents = _parents()
        for pid in parents:
            ancestor = pid
            while ancestor > 1 and str(ancestor) not in workers:
                ancestor = parents.get(ancestor, 0)
            if ancestor > 1 and _owns_socket(pid, inode):
                return workers[str(ancestor)]
        return "?"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        session.sender_name = await asyncio.to_thread(self.sender_of, session.peer)
        return responses

    async def handle_DATA(self, server, session, envelope):
        accepted = time.time()
        # The headers only: parsing 20,000 whole messages would make the sink the bottleneck.
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        message_id = found.group(1).decode(errors="replace") if found else ""
        sender = getattr(session, "sender_name", "?")
        for recipient in envelope.rcpt_tos:
            self.log.write(f"{accepted:.4f}\t{recipient}\t{message_id}\t{sender}\n")
            if not recipient.startswith(EDITION_READER_PREFIX):
                self.kept += 1
                path = self.mail / f"{accepted:.4f}-{self.kept}.eml"
                path.write_bytes(envelope.content)
        return "250 Message accepted for delivery"


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(Handler(folder, port), hostname="127.0.0.1", port=port)
    controller.start()
    sys.stdout.write(f"SMTP sink on 127.0.0.1:{port}\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
