"""A tiny DNS server on 127.0.0.1 (UDP) answering from a dict, for discovery tests.

Records are `{name: [(type, rdata text), ...]}`, e.g.
`{"_imaps._tcp.example.test": [("SRV", "0 1 993 imap.example.test.")],
  "autoconfig.example.test": [("A", "127.0.0.1")]}`. A name in the dict with no record
of the asked type gets an empty answer; a name not in it, NXDOMAIN. mode "silent"
drops every query (a server that never answers); "refuse" answers REFUSED.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

HOST = "127.0.0.1"
Records = Mapping[str, Sequence[tuple[str, str]]]


@dataclass
class DnsServer:
    host: str
    port: int
    records: dict[str, list[tuple[str, str]]]
    mode: str = "answer"  # answer | silent | refuse
    queries: list[tuple[str, str]] = field(default_factory=list)  # (name, type) asked
    _sock: socket.socket | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def nameserver(self) -> tuple[str, int]:
        return self.host, self.port

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                wire, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self._reply(wire)
            if reply is not None:
                with contextlib.suppress(OSError):
                    self._sock.sendto(reply, peer)

    def _reply(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if self.mode == "silent":
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if self.mode == "refuse":
            response.set_rcode(dns.rcode.REFUSED)
        elif name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            texts = [text for kind, text in self.records[name] if kind.upper() == rdtype]
            if texts:
                response.answer.append(dns.rrset.from_text_list(
                    question.name, 60, dns.rdataclass.IN, question.rdtype, texts))
        return response.to_wire()


def start_dns(records: Records, *, mode: str = "answer") -> DnsServer:
    """Serve `records` on a free UDP port of 127.0.0.1 from a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(0.1)
    server = DnsServer(HOST, sock.getsockname()[1],
                       {k.lower().rstrip("."): list(v) for k, v in records.items()},
                       mode=mode, _sock=sock)
    server._thread = threading.Thread(target=server._serve, name="test-dns", daemon=True)
    server._thread.start()
    return server


@contextlib.contextmanager
def running_dns(records: Records, *, mode: str = "answer") -> Iterator[DnsServer]:
    server = start_dns(records, mode=mode)
    try:
        yield server
    finally:
        server.stop()
