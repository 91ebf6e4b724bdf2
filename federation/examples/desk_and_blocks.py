"""A member library's integration in twenty lines: verify a card at the desk, then react to
block requests as they arrive, signed, at this receiver. Run: python -m
federation.examples.desk_and_blocks CARD (with RECIPROCITY_API, RECIPROCITY_KEY and
RECIPROCITY_WEBHOOK_SECRET set; PORT defaults to 8088)."""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from federation import Client, Verifier, WebhookVerificationError

client = Client(os.environ["RECIPROCITY_API"], os.environ["RECIPROCITY_KEY"])
verifier = Verifier(os.environ["RECIPROCITY_WEBHOOK_SECRET"])
print(f"card {sys.argv[1]}: {client.verify(sys.argv[1]).decision}", flush=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = verifier.verify(body, self.headers)
        except WebhookVerificationError:
            self.send_response(401)
            return self.end_headers()
        self.send_response(204)
        self.end_headers()
        if event["type"] == "block.requested":
            block = client.get_block(event["data"]["block_id"])
            print(f"block requested by {block.requester} for card *{block.card_last4}: "
                  f"honor or refuse by {block.raw['response_due_on']}", flush=True)


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8088"))), Receiver).serve_forever()
