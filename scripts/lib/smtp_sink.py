"""A local SMTP server for Haven's tests (Debian's python3-aiosmtpd), started by scripts/lib/smtp.sh.

Two listeners on loopback:
  * PLAIN_PORT: no STARTTLS, no AUTH (the relay a loopback sendmail or msmtp talks to);
  * TLS_PORT: offers STARTTLS with CERT/KEY and, once encrypted, AUTH PLAIN and LOGIN for USER and
    the password in PASSWORD_FILE (AUTH is refused before STARTTLS).
Each accepted message is written to DIR as NNNNNN.eml (the bytes received after DATA, CRLF kept)
with NNNNNN.json beside it (envelope sender, recipients, port, whether it came over TLS, the
authenticated user). Recipients steer refusals, so tests can provoke each answer:
  refuse-temp@...  -> 450 at RCPT     refuse-perm@... -> 550 at RCPT
  data-temp@...    -> 451 after DATA  data-perm@...   -> 554 after DATA
  data-slow@...    -> stored, then 250 only after 30 seconds
  slow-*@...       -> stored, then 250 after 0.3 seconds
Usage: smtp_sink.py DIR PLAIN_PORT TLS_PORT CERT KEY USER PASSWORD_FILE
"""

import asyncio
import itertools
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, port):
        self.directory = directory
        self.port = port

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "refuse-temp":
            return "450 4.2.1 Mailbox busy, try again later"
        if local == "refuse-perm":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        locals_ = {rcpt.split("@", 1)[0].lower() for rcpt in envelope.rcpt_tos}
        if "data-temp" in locals_:
            return "451 4.3.0 Local error, try again later"
        if "data-perm" in locals_:
            return "554 5.6.0 Message refused"
        number = next(COUNTER)
        base = os.path.join(self.directory, "%06d" % number)
        with open(base + ".tmp", "wb") as handle:
            handle.write(envelope.original_content)
        meta = {
            "mailFrom": envelope.mail_from,
            "rcptTo": envelope.rcpt_tos,
            "port": self.port,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
        }
        with open(base + ".json", "w") as handle:
            json.dump(meta, handle)
        os.rename(base + ".tmp", base + ".eml")
        if "data-slow" in locals_:
            # Stored, but the answer comes after the tests' client has stopped waiting for it.
            await asyncio.sleep(30)
        if any(local.startswith("slow-") for local in locals_):
            # A relay that takes its time: the kill test's sender is often killed in this window.
            await asyncio.sleep(0.3)
        return "250 2.0.0 Accepted"


COUNTER = itertools.count(1)


def main():
    directory, plain_port, tls_port, cert, key, user, password_file = sys.argv[1:8]
    with open(password_file) as handle:
        password = handle.read().strip()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    plain = Controller(
        Sink(directory, int(plain_port)), hostname="127.0.0.1", port=int(plain_port), decode_data=False
    )
    tls = Controller(
        Sink(directory, int(tls_port)),
        hostname="127.0.0.1",
        port=int(tls_port),
        tls_context=context,
        authenticator=authenticator,
        auth_require_tls=True,
        decode_data=False,
    )
    plain.start()
    tls.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("ready", flush=True)
    loop.run_until_complete(stop.wait())
    plain.stop()
    tls.stop()


if __name__ == "__main__":
    main()
