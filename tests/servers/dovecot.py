"""A throwaway Dovecot IMAP server for integration tests (and, opted in, POP3).

Everything lives in one temp dir (config, users, certs, mail, sockets, log); the server
runs in its own process group so stopping it takes every child with it. The recipe and
its pitfalls are in /work/shared/TESTING.md.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import grp
import os
import poplib
import pwd
import secrets
import shutil
import signal
import socket
import ssl as ssl_lib
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from imapclient import IMAPClient

from tests.servers.certs import client_ssl_context, make_self_signed_cert

DOVECOT_BIN = Path(os.environ.get("DOVECOT_BIN", "/usr/sbin/dovecot"))
DOVEADM_BIN = Path(os.environ.get("DOVEADM_BIN") or shutil.which("doveadm") or "/usr/bin/doveadm")
# Only needed with start_dovecot(submission_relay=...); Debian: dovecot-submissiond.
SUBMISSION_BIN = Path(os.environ.get("DOVECOT_SUBMISSION_BIN", "/usr/lib/dovecot/submission"))
# Only needed with start_dovecot(pop3=True); Debian: dovecot-pop3d.
POP3_BIN = Path(os.environ.get("DOVECOT_POP3_BIN", "/usr/lib/dovecot/pop3"))
HOST = "127.0.0.1"

DEFAULT_ADDRESSES = ("alice@example.com", "bob@example.com", "support@example.com")
SPECIAL_USE = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}
# Messages per MULTIAPPEND: one command per batch, and memory stays bounded.
APPEND_BATCH = 100


class AppendItem(Protocol):
    """What append_messages needs; engine.corpus.CorpusMessage satisfies it."""

    @property
    def folder(self) -> str: ...
    @property
    def raw(self) -> bytes: ...
    @property
    def flags(self) -> tuple[str, ...]: ...
    @property
    def internal_date(self) -> dt.datetime: ...


@dataclass(frozen=True)
class Share:
    """*owner* grants *grantee* *rights* (RFC 4314 letters) on one of owner's folders."""

    owner: str
    grantee: str
    folder: str = "INBOX"
    rights: str = "lrswite"


DEFAULT_SHARES = (Share(owner="support@example.com", grantee="alice@example.com"),)


@dataclass(frozen=True, repr=False)
class OAuthValidation:
    """Let the server accept OAuth2 bearer tokens, validated offline.

    Tokens are HS256 JWTs signed with *key* (tests.servers.jwt_tokens.TokenSigner),
    issued by *issuer* to *client_id* (their ``azp``), naming the user in ``email``.
    *mechanisms* are the SASL mechanisms offered for them: "xoauth2", "oauthbearer".
    """

    issuer: str
    client_id: str
    key: bytes
    mechanisms: tuple[str, ...] = ("xoauth2", "oauthbearer")

    def __post_init__(self) -> None:
        unknown = set(self.mechanisms) - {"xoauth2", "oauthbearer"}
        if unknown or not self.mechanisms:
            raise ValueError(f"OAuth mechanisms must be xoauth2 and/or oauthbearer: {unknown}")
        for text in (self.issuer, self.client_id):
            if not text or any(c in text for c in " \t\r\n#\"'"):
                raise ValueError(f"unusable in oauth2.conf.ext: {text!r}")

    def __repr__(self) -> str:
        return (
            f"OAuthValidation(issuer={self.issuer!r}, client_id={self.client_id!r}, "
            f"key=<{len(self.key)} bytes>, mechanisms={self.mechanisms!r})"
        )


def default_users(addresses: Iterable[str] = DEFAULT_ADDRESSES) -> dict[str, str]:
    """Random passwords per run, so nothing can depend on a fixed credential."""
    return {address: secrets.token_urlsafe(12) for address in addresses}


@dataclass
class DovecotServer:
    host: str
    port: int  # plain IMAP, STARTTLS offered
    ssl_port: int  # IMAPS
    cafile: Path
    root: Path
    users: dict[str, str]
    shares: tuple[Share, ...] = ()
    submission_port: int | None = None  # only when started with submission_relay
    pop3_port: int | None = None  # only when started with pop3: plain POP3, STLS offered
    pop3_ssl_port: int | None = None  # POP3S
    config: Path | None = None
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    # -- clients ---------------------------------------------------------------------------

    def ssl_context(self) -> ssl_lib.SSLContext:
        return client_ssl_context(self.cafile)

    def client(
        self,
        *,
        ssl: bool = True,
        starttls: bool = True,
        ssl_context: ssl_lib.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> IMAPClient:
        """A connected, not yet authenticated client (IMAPS, or plain + STARTTLS)."""
        ctx = ssl_context if ssl_context is not None else self.ssl_context()
        if ssl:
            client = IMAPClient(
                self.host, self.ssl_port, ssl=True, ssl_context=ctx, timeout=timeout
            )
        else:
            client = IMAPClient(self.host, self.port, ssl=False, timeout=timeout)
        # imapclient sets debug=5, making imaplib repr() every line incl. whole literals.
        client._imap.debug = 0
        if not ssl and starttls:
            try:
                client.starttls(ctx)
            except BaseException:
                _close_quietly(client)
                raise
        return client

    def connect(
        self,
        user: str,
        *,
        ssl: bool = True,
        starttls: bool = True,
        ssl_context: ssl_lib.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> IMAPClient:
        """A client logged in as *user*; close it with logout() or use it as a context manager."""
        client = self.client(ssl=ssl, starttls=starttls, ssl_context=ssl_context, timeout=timeout)
        try:
            client.login(user, self.users[user])
        except BaseException:
            _close_quietly(client)
            raise
        return client

    def pop3(self, user: str, *, ssl: bool = True, timeout: float = 10.0) -> poplib.POP3:
        """A POP3 session logged in as *user* (POP3S, or plain + STLS); end it with quit()
        (which deletes what was marked) or close()."""
        if self.pop3_port is None or self.pop3_ssl_port is None:
            raise RuntimeError("this server was started without pop3=True")
        client: poplib.POP3
        if ssl:
            client = poplib.POP3_SSL(self.host, self.pop3_ssl_port, timeout=timeout,
                                     context=self.ssl_context())
        else:
            client = poplib.POP3(self.host, self.pop3_port, timeout=timeout)
            client.stls(self.ssl_context())
        try:
            client.user(user)
            client.pass_(self.users[user])
        except BaseException:
            client.close()
            raise
        return client

    def pop3_uidls(self, user: str) -> list[str]:
        """The UIDLs of *user*'s maildrop, in order, as its POP3 service lists them."""
        client = self.pop3(user)
        try:
            return [line.split(b" ", 1)[1].decode() for line in client.uidl()[1]]
        finally:
            client.quit()

    def shared_name(self, owner: str, folder: str = "INBOX") -> str:
        """How *owner*'s *folder* appears to a grantee (see the shared namespace prefix)."""
        return f"shared/{owner}/{folder}"

    # -- mail ------------------------------------------------------------------------------

    def append_messages(
        self, user: str, messages: Iterable[AppendItem], *, folder: str | None = None
    ) -> int:
        """Append every item to its folder (or *folder*), creating folders; return the count.

        One connection. Items are buffered per folder and sent as MULTIAPPEND batches, so
        an interleaved stream does not cost one command per message; within a folder the
        input order is kept (UIDs ascend in input order).
        """
        count = 0
        with self.connect(user) as client:
            existing = {name for _flags, _delim, name in client.list_folders()}
            pending: dict[str, list[dict[str, Any]]] = {}

            def flush(target: str) -> None:
                nonlocal count
                batch = pending.pop(target, [])
                if not batch:
                    return
                if target not in existing and target.upper() != "INBOX":
                    client.create_folder(target)
                    client.subscribe_folder(target)
                    existing.add(target)
                client.multiappend(target, batch)
                count += len(batch)

            for item in messages:
                target = folder or item.folder
                batch = pending.setdefault(target, [])
                batch.append(
                    {"msg": item.raw, "flags": tuple(item.flags), "date": item.internal_date}
                )
                if len(batch) >= APPEND_BATCH:
                    flush(target)
            for target in list(pending):
                flush(target)
        return count

    def reset_user(self, user: str) -> None:
        """Delete all of *user*'s mail and folders; the next login starts from scratch.

        Open sessions are kicked first: a live imap process keeps stale index state and
        answers NO [SERVERBUG] once its mail dir is gone. Grantees' private indexes
        (INDEXPVT) of the user's shared folders are dropped too, because they remember
        UIDs the recreated mailbox no longer has and Dovecot 2.3.19 panics on SELECT
        (mail_index_map_lookup_seq_range assertion). Shares the user owns are granted
        again since their ACL files lived in the deleted mail dir. UIDVALIDITY still
        changes for every recreated folder (see _wipe_home).
        """
        if user not in self.users:
            raise KeyError(user)
        owned = [s for s in self.shares if s.owner == user]
        for who in dict.fromkeys([user, *(s.grantee for s in owned)]):
            self._kick(who)
        mail = self.root / "mail"
        _wipe_home(mail / user)
        for share in owned:
            shutil.rmtree(mail / share.grantee / "Maildir" / "shared" / user, ignore_errors=True)
        _apply_shares(self, owned)

    def _kick(self, user: str) -> None:
        if self.config is None or not DOVEADM_BIN.exists():
            return
        subprocess.run(
            [str(DOVEADM_BIN), "-c", str(self.config), "kick", user],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,  # exit status 68 just means "nobody was logged in"
        )
        # kick only signals the imap processes; wait until their sessions are gone.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._user_sessions(user):
            time.sleep(0.02)

    def _user_sessions(self, user: str) -> bool:
        assert self.config is not None
        out = subprocess.run(
            [str(DOVEADM_BIN), "-c", str(self.config), "who", "-1", user],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
            check=False,
        )
        return user.encode() in out.stdout

    # -- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the whole process group, then remove the temp dir. Idempotent."""
        if self.process is not None:
            _stop_group(self.process)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server but keep its mail, config and ports, for resume()."""
        if self.process is not None:
            _stop_group(self.process)
            self.process = None

    def resume(self, ready_timeout: float = 10.0) -> None:
        """Start a halted server again: same ports, same mail."""
        if self.process is not None or self.config is None:
            raise RuntimeError("resume() needs a halted server")
        with open(self.root / "dovecot.stdout", "ab") as out:
            self.process = subprocess.Popen(
                [str(DOVECOT_BIN), "-F", "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_ready(self, ready_timeout)

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.root, lines)

    def __enter__(self) -> DovecotServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- starting ------------------------------------------------------------------------------


def start_dovecot(
    users: Mapping[str, str] | None = None,
    *,
    shares: Sequence[Share] = DEFAULT_SHARES,
    submission_relay: tuple[str, int] | None = None,
    oauth: OAuthValidation | None = None,
    pop3: bool = False,
    ready_timeout: float = 10.0,
    binary: Path = DOVECOT_BIN,
) -> DovecotServer:
    """Start a private Dovecot and return it once it greets; the caller must stop() it.

    *users* maps address -> password (default: alice, bob, support with random
    passwords). *shares* are granted by the owners via SETACL after start. With
    *submission_relay* = (host, port) a submission service relaying there is started too.
    With *oauth* the users may also log in (IMAP and submission) with bearer tokens it
    validates; passwords keep working. With *pop3* the same mailboxes are served over
    POP3 too (plain with STLS on pop3_port, POP3S on pop3_ssl_port).
    """
    users = dict(default_users() if users is None else users)
    for address, password in users.items():
        # The passwd-file format is ':'-separated and line based.
        if any(c in address + password for c in ":\n\r") or not address or not password:
            raise ValueError(f"unusable user/password for passwd-file: {address!r}")
    for share in shares:
        if share.owner not in users or share.grantee not in users:
            raise ValueError(f"share refers to an unknown user: {share}")
    if not binary.exists():
        raise FileNotFoundError(f"dovecot not found at {binary}")
    if pop3 and not POP3_BIN.exists():
        raise FileNotFoundError(f"dovecot's POP3 service not found at {POP3_BIN}")

    last_error: RuntimeError | None = None
    # Free ports are picked by binding port 0 and releasing; another process can grab one
    # before Dovecot binds it, so retry with fresh ports when that happens.
    for _attempt in range(3):
        server = _launch(users, shares, submission_relay, oauth, binary, pop3=pop3)
        try:
            _wait_ready(server, ready_timeout)
        except RuntimeError as exc:
            address_in_use = "in use" in server.log_tail()
            server.stop()
            if not address_in_use:
                raise
            last_error = exc
            continue
        try:
            _apply_shares(server, shares)
        except BaseException:
            server.stop()
            raise
        return server
    assert last_error is not None
    raise last_error


def _launch(
    users: dict[str, str],
    shares: Sequence[Share],
    submission_relay: tuple[str, int] | None,
    oauth: OAuthValidation | None,
    binary: Path,
    *,
    pop3: bool = False,
) -> DovecotServer:
    # Not pytest's tmp_path: as root it is 0700 and uid nobody could not reach the homes.
    # A short prefix keeps Dovecot's unix socket paths well under the 108-byte limit.
    root = Path(tempfile.mkdtemp(prefix="fd-dovecot-"))
    try:
        root.chmod(0o755)
        certs = make_self_signed_cert(root / "tls")
        mail = root / "mail"
        mail.mkdir()
        identity = _identity()
        if os.geteuid() == 0:
            os.chown(mail, identity.mail_uid, identity.mail_gid)
        users_file = root / "users"
        users_file.write_text("".join(f"{a}:{{PLAIN}}{p}::::::\n" for a, p in users.items()))
        users_file.chmod(0o600)
        if oauth is not None:
            _write_oauth_files(root, oauth)

        ports = free_ports(2 + (1 if submission_relay else 0) + (2 if pop3 else 0))
        port, ssl_port = ports[0], ports[1]
        submission_port = ports[2] if submission_relay else None
        pop3_ports = (ports[-2], ports[-1]) if pop3 else None
        config = root / "dovecot.conf"
        config.write_text(
            _render_config(
                root=root,
                cert=certs.cert,
                key=certs.key,
                port=port,
                ssl_port=ssl_port,
                submission_port=submission_port,
                submission_relay=submission_relay,
                oauth=oauth,
                identity=identity,
                pop3_ports=pop3_ports,
            )
        )
        log = root / "dovecot.log"
        with open(root / "dovecot.stdout", "wb") as out:
            # A file, never a pipe: nobody would drain a pipe and Dovecot's children inherit it.
            process = subprocess.Popen(
                [str(binary), "-F", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return DovecotServer(
        host=HOST,
        port=port,
        ssl_port=ssl_port,
        cafile=certs.cert,
        root=root,
        users=users,
        shares=tuple(shares),
        submission_port=submission_port,
        pop3_port=pop3_ports[0] if pop3_ports else None,
        pop3_ssl_port=pop3_ports[1] if pop3_ports else None,
        config=config,
        log=log,
        process=process,
    )


def _wait_ready(server: DovecotServer, timeout: float) -> None:
    """Ready = our process alive, no Fatal logged, and every port answers with a greeting."""
    assert server.process is not None
    deadline = time.monotonic() + timeout
    problem = "no greeting"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            problem = f"dovecot exited with status {server.process.returncode}"
            break
        if "Fatal" in _read_logs(server.root):
            # Also guards against a greeting from some other instance on a reused port.
            problem = "Fatal in log"
            break
        try:
            if (
                _greets(server.host, server.port, None, b"* OK")
                and _greets(server.host, server.ssl_port, server.ssl_context(), b"* OK")
                and (
                    server.submission_port is None
                    or _greets(server.host, server.submission_port, None, b"220 ")
                )
                and (
                    server.pop3_port is None
                    or server.pop3_ssl_port is None
                    or (_greets(server.host, server.pop3_port, None, b"+OK")
                        and _greets(server.host, server.pop3_ssl_port,
                                    server.ssl_context(), b"+OK"))
                )
            ):
                return
        except OSError as exc:
            problem = f"no greeting ({exc})"
        time.sleep(0.02)
    raise RuntimeError(
        f"Dovecot did not come up on {server.host}:{server.port}/{server.ssl_port}: {problem}\n"
        f"--- log tail ({server.root}) ---\n{server.log_tail()}"
    )


def _greets(host: str, port: int, ctx: ssl_lib.SSLContext | None, greeting: bytes) -> bool:
    with socket.create_connection((host, port), timeout=2) as raw:
        sock: socket.socket = raw
        if ctx is not None:
            sock = ctx.wrap_socket(raw, server_hostname=host)
        with sock:
            return sock.recv(256).startswith(greeting)


def _apply_shares(server: DovecotServer, shares: Iterable[Share]) -> None:
    for share in shares:
        with server.connect(share.owner) as client:
            if share.folder.upper() != "INBOX" and not client.folder_exists(share.folder):
                client.create_folder(share.folder)
            client.setacl(share.folder, share.grantee, share.rights)


def _wipe_home(home: Path) -> None:
    """Delete a user's home but keep Maildir/dovecot-uidvalidity*.

    Dovecot derives a new mailbox's UIDVALIDITY from that counter file, else from the
    clock: a folder recreated within the same second would get the old UIDVALIDITY
    with UIDs restarting at 1, which is exactly what a sync client must never see.
    """
    maildir = home / "Maildir"
    keep = {p.name: p.read_bytes() for p in maildir.glob("dovecot-uidvalidity*")}
    shutil.rmtree(home, ignore_errors=True)
    if not keep:
        return
    maildir.mkdir(mode=0o700, parents=True)
    for name, data in keep.items():
        (maildir / name).write_bytes(data)
    if os.geteuid() == 0:
        identity = _identity()
        for path in (home, maildir, *(maildir / name for name in keep)):
            os.chown(path, identity.mail_uid, identity.mail_gid)


def _stop_group(process: subprocess.Popen[bytes], grace: float = 0.5) -> None:
    """SIGTERM the whole group, give it *grace* seconds to go, then SIGKILL what is left.

    Usually everything is gone within a few ms. But when master and children get SIGTERM
    at once, the master sometimes sleeps in its shutdown waiting for anvil, which sits in
    a blocking read (seen with submission enabled): 3-7 s or never. Nothing of a
    throwaway server is worth waiting for, so the grace is short.
    """
    pgid = process.pid  # start_new_session made the master a group leader
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the master, else its zombie keeps the group alive
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=5)


# -- config --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Identity:
    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int
    # Login/anvil processes chroot by default, which only root may do.
    chroot_line: str


def _identity() -> _Identity:
    if os.geteuid() == 0:
        # Login processes refuse to run as root and mail uid 0 is refused too.
        nobody = pwd.getpwnam("nobody")
        try:
            gid = grp.getgrnam("nogroup").gr_gid
        except KeyError:
            gid = nobody.pw_gid
        return _Identity("root", "root", "nobody", nobody.pw_uid, gid, "")
    me = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(os.getegid()).gr_name
    return _Identity(me.pw_name, group, me.pw_name, me.pw_uid, os.getegid(), "  chroot =\n")


def _render_config(
    *,
    root: Path,
    cert: Path,
    key: Path,
    port: int,
    ssl_port: int,
    submission_port: int | None,
    submission_relay: tuple[str, int] | None,
    oauth: OAuthValidation | None,
    identity: _Identity,
    pop3_ports: tuple[int, int] | None = None,
) -> str:
    special = "".join(
        f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}\n"
        for name, flag in SPECIAL_USE.items()
    )
    protocols = "imap submission" if submission_relay else "imap"
    pop3 = ""
    if pop3_ports is not None:
        protocols += " pop3"
        pop3 = _pop3_service(identity, *pop3_ports)
    oauth_mechs = " ".join(oauth.mechanisms) if oauth is not None else ""
    mechanisms = f"plain login {oauth_mechs}".strip()
    oauth_passdb = _oauth_passdb(root, oauth_mechs) if oauth is not None else ""
    submission = ""
    if submission_relay and submission_port:
        relay_host, relay_port = submission_relay
        submission = f"""
hostname = localhost
submission_relay_host = {relay_host}
submission_relay_port = {relay_port}
submission_relay_trusted = yes
submission_relay_ssl = no
service submission-login {{
{identity.chroot_line}  inet_listener submission {{
    address = {HOST}
    port = {submission_port}
  }}
}}
"""
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
instance_name = frontdesk-test-{port}
protocols = {protocols}
listen = {HOST}
log_path = {root}/dovecot.log
auth_verbose = yes
default_internal_user = {identity.internal_user}
default_internal_group = {identity.internal_group}
default_login_user = {identity.login_user}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
# Failed logins must fail at once: no 2 s base delay (the anvil penalty is off below).
auth_failure_delay = 0
# Tests open many parallel sessions per user; the default limit is 10.
mail_max_userip_connections = 200
# Throwaway mail: durability is worthless, speed is not.
mail_fsync = never
mail_location = maildir:~/Maildir
mail_shared_explicit_inbox = yes
mail_plugins = $mail_plugins acl
protocol imap {{
  mail_plugins = $mail_plugins imap_acl
}}
plugin {{
  acl = vfile
  acl_shared_dict = file:{root}/mail/shared-mailboxes.db
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/users
  result_failure = continue
}}
{oauth_passdb}# Dovecot 2.3.19 still queues every failed login for its 500 ms flush timer with
# auth_failure_delay = 0; only a "nodelay" extra field skips the queue, and a failing
# passdb's fields are rolled back. So failures fall through to this passdb: it
# "succeeds" only to attach nodelay, and return-fail turns that into a refusal.
passdb {{
  driver = static
  mechanisms = {mechanisms}
  args = nopassword=yes nodelay=yes
  result_success = return-fail
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
  default_fields = uid={identity.mail_uid} gid={identity.mail_gid} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{special}}}
namespace shared {{
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:%%h/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}}
service anvil {{
{identity.chroot_line}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
{identity.chroot_line}  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {ssl_port}
    ssl = yes
  }}
}}
{submission}{pop3}"""


def _pop3_service(identity: _Identity, port: int, ssl_port: int) -> str:
    """POP3 on the same mailboxes: plain (STLS offered) and POP3S. UIDLs are Dovecot's
    default, UID and UIDVALIDITY in hex: stable while the mailbox lives."""
    return f"""
protocol pop3 {{
  pop3_uidl_format = %08Xu%08Xv
}}
service pop3-login {{
{identity.chroot_line}  inet_listener pop3 {{
    address = {HOST}
    port = {port}
  }}
  inet_listener pop3s {{
    address = {HOST}
    port = {ssl_port}
    ssl = yes
  }}
}}
"""


def _oauth_passdb(root: Path, mechanisms: str) -> str:
    """The passdb that validates bearer tokens; a refused token falls through to the
    nodelay passdb like a wrong password."""
    return f"""passdb {{
  driver = oauth2
  mechanisms = {mechanisms}
  args = {root}/oauth2.conf.ext
  result_failure = continue
  result_internalfail = continue
}}
"""


def _write_oauth_files(root: Path, oauth: OAuthValidation) -> None:
    """oauth2.conf.ext and the HS256 key, where Dovecot looks it up for a token:
    keys/<azp>/<alg>/<kid>, with "default" for a token without kid."""
    (root / "oauth2.conf.ext").write_text(
        "introspection_mode = local\n"
        f"local_validation_key_dict = fs:posix:prefix={root}/keys/\n"
        "username_attribute = email\n"
        f"issuers = {oauth.issuer}\n"
        f"client_id = {oauth.client_id}\n"
    )
    key_file = root / "keys" / _key_path_part(oauth.client_id) / "HS256" / "default"
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(base64.b64encode(oauth.key))
    key_file.chmod(0o600)


def _key_path_part(azp: str) -> str:
    """*azp* as Dovecot 2.3.19 escapes it in the key lookup path ('.' stays)."""
    return azp.replace("%", "%25").replace("/", "%2f")


def _close_quietly(client: IMAPClient) -> None:
    # After a failed TLS handshake the socket is already closed and shutdown() raises.
    with contextlib.suppress(OSError):
        client.shutdown()


def free_ports(n: int) -> list[int]:
    """*n* distinct currently free TCP ports on HOST (for any server a test starts)."""
    # Hold all sockets open together so the n ports are distinct.
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _read_logs(root: Path) -> str:
    text = ""
    for name in ("dovecot.stdout", "dovecot.log"):
        with contextlib.suppress(OSError):
            text += (root / name).read_text(errors="replace")
    return text


def _tail(root: Path, lines: int) -> str:
    return "\n".join(_read_logs(root).splitlines()[-lines:]) or "(empty log)"
