"""A local stand-in for the two Horizon endpoints DeFarm's anchoring calls, for tests only:
``GET /accounts/{id}`` (the signing account and its sequence) and ``POST /transactions``
(the signed envelope, form field ``tx``). It checks what the real network would before
accepting a transaction: the network passphrase, the source account, the next sequence number
and the signature (with the SDK); it answers in Horizon's shapes, including its problem JSON
(``transaction_failed`` with ``result_codes``) on refusal."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from stellar_sdk import Keypair, TransactionEnvelope
from stellar_sdk.exceptions import BadSignatureError


def _problem(status: int, title: str, result_codes: dict | None = None) -> dict:
    body = {
        "type": "https://stellar.org/horizon-errors/transaction_failed"
        if result_codes
        else "https://stellar.org/horizon-errors/not_found",
        "title": title,
        "status": status,
    }
    if result_codes:
        body["extras"] = {"result_codes": result_codes}
    return body


class FakeHorizon:
    def __init__(self, *, passphrase: str, accounts: dict[str, int]):
        """``accounts``: public key → current sequence number of the accounts that exist."""
        self.passphrase = passphrase
        self.accounts = dict(accounts)
        self.submitted: list[TransactionEnvelope] = []
        self.requests: list[tuple[str, str]] = []
        self.ledger = 1000
        horizon = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                kind = "hal+json" if status < 400 else "problem+json"
                self.send_header("Content-Type", f"application/{kind}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path.rstrip("/")
                horizon.requests.append(("GET", path))
                if path.startswith("/accounts/"):
                    account_id = path.removeprefix("/accounts/")
                    if account_id not in horizon.accounts:
                        return self._answer(404, _problem(404, "Resource Missing"))
                    return self._answer(
                        200,
                        {
                            "id": account_id,
                            "account_id": account_id,
                            "sequence": str(horizon.accounts[account_id]),
                            "subentry_count": 0,
                            "balances": [{"balance": "100.0000000", "asset_type": "native"}],
                        },
                    )
                return self._answer(404, _problem(404, "Resource Missing"))

            def do_POST(self):
                path = urlsplit(self.path).path.rstrip("/")
                horizon.requests.append(("POST", path))
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                if path != "/transactions" or "tx" not in form:
                    return self._answer(400, _problem(400, "Transaction Malformed", {}))
                try:
                    envelope = TransactionEnvelope.from_xdr(form["tx"][0], horizon.passphrase)
                except Exception:  # any envelope that does not decode is malformed
                    return self._answer(400, _problem(400, "Transaction Malformed", {}))
                code = horizon.check(envelope)
                if code:
                    return self._answer(
                        400, _problem(400, "Transaction Failed", {"transaction": code})
                    )
                transaction = envelope.transaction
                source = transaction.source.account_id
                horizon.accounts[source] = transaction.sequence
                horizon.submitted.append(envelope)
                horizon.ledger += 1
                return self._answer(
                    200,
                    {
                        "successful": True,
                        "hash": envelope.hash_hex(),
                        "ledger": horizon.ledger,
                        "envelope_xdr": form["tx"][0],
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def check(self, envelope: TransactionEnvelope) -> str | None:
        """The transaction result code Horizon would refuse ``envelope`` with, or None."""
        transaction = envelope.transaction
        source = transaction.source.account_id
        if source not in self.accounts:
            return "tx_no_source_account"
        if transaction.sequence != self.accounts[source] + 1:
            return "tx_bad_seq"
        signer = Keypair.from_public_key(source)
        for signature in envelope.signatures:
            if signature.signature_hint != signer.signature_hint():
                continue
            try:
                signer.verify(envelope.hash(), signature.signature)
                return None
            except BadSignatureError:
                continue
        return "tx_bad_auth"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
