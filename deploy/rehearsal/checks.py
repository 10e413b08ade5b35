"""What the longer rehearsal checks beyond clicks and callbacks: every money effect exactly
once, and reports whose totals equal the rows they count.

- conversions: one per accepted callback (rehearse.py), none without one;
- ledger: one earning per approved conversion, for its payout, and the earnings' sum equals
  the approved payouts' sum;
- publisher postbacks: one delivery owed per approved conversion per template, each sent,
  and the publisher's server (`PostbackReceiver`) reached for each, with one Idempotency-Key
  per conversion per template (a call repeated because a worker died after the publisher
  answered carries the same key; such repeats are counted);
- reports: in every rollup table, the clicks, unique clicks, approved conversions and payout
  add up to the rows of tracking_click and tracking_conversion.
"""

import threading
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg


class PostbackReceiver:
    """The publisher's server: counts each (template, conversion) it is called for, and the
    Idempotency-Key of each call (a publisher that keeps it counts a repeated call once)."""

    def __init__(self) -> None:
        self.hits: Counter[tuple[str, str]] = Counter()
        self.keys: dict[tuple[str, str], set[str]] = {}
        self.lock = lock = threading.Lock()
        hits, keys = self.hits, self.keys

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                key = (query.get("t", [""])[0], query.get("conv", [""])[0])
                with lock:
                    hits[key] += 1
                    keys.setdefault(key, set()).add(self.headers.get("Idempotency-Key", ""))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                # The worker calling was SIGKILLed mid-call (the chaos): nothing to report.
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, template: str) -> str:
        return (
            f"http://127.0.0.1:{self.port}/pb?t={template}&conv={{conversion_id}}&cid={{click_id}}"
        )

    def __enter__(self) -> "PostbackReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def postbacks_outstanding(conn: psycopg.Connection) -> int:
    """Deliveries still to send, plus approved conversions that owe none yet (their message
    was lost: the sweep owes them after a while)."""
    pending = conn.execute(
        "SELECT count(*) FROM tracking_postbackdelivery WHERE status = 'pending'"
    ).fetchone()[0]
    unowed = conn.execute(
        "SELECT count(*) FROM tracking_conversion c WHERE c.status = 'approved' AND NOT EXISTS "
        "(SELECT 1 FROM tracking_postbackdelivery d WHERE d.conversion_id = c.id)"
    ).fetchone()[0]
    return pending + unowed


def money_and_reports(
    conn: psycopg.Connection, receiver: PostbackReceiver, templates: list[str]
) -> tuple[dict[str, int], list[str]]:
    failures: list[str] = []
    counts: dict[str, int] = {}

    approved = conn.execute(
        "SELECT id, payout FROM tracking_conversion WHERE status = 'approved'"
    ).fetchall()
    approved_ids = {str(conversion_id) for conversion_id, _ in approved}
    payout_sum = sum((payout for _, payout in approved), Decimal(0))

    earnings = conn.execute(
        "SELECT l.conversion_id, count(*), sum(l.amount), min(c.payout), min(c.status) "
        "FROM payouts_ledgerentry l LEFT JOIN tracking_conversion c ON c.id = l.conversion_id "
        "WHERE l.kind = 'earning' AND l.conversion_id IS NOT NULL GROUP BY l.conversion_id"
    ).fetchall()
    earned = {str(row[0]): row for row in earnings}
    twice = [row for row in earnings if row[1] != 1]
    wrong_amount = [row for row in earnings if row[2] != row[3]]
    not_approved = [row for row in earnings if row[4] != "approved"]
    without = approved_ids - set(earned)
    earning_sum = sum((row[2] for row in earnings), Decimal(0))
    counts.update(
        {
            "ledger earnings (conversions)": len(earnings),
            "ledger earnings sum": int(earning_sum),
            "approved payouts sum": int(payout_sum),
        }
    )
    if twice:
        failures.append(f"{len(twice)} conversions earned more than once")
    if wrong_amount:
        failures.append(f"{len(wrong_amount)} earnings differ from their conversion's payout")
    if not_approved:
        failures.append(f"{len(not_approved)} earnings for conversions not approved")
    if without:
        failures.append(f"{len(without)} approved conversions without an earning")
    if earning_sum != payout_sum:
        failures.append(f"ledger earnings sum {earning_sum} != approved payouts {payout_sum}")

    owed = conn.execute(
        "SELECT d.conversion_id, d.template_id, d.status, count(*) "
        "FROM tracking_postbackdelivery d WHERE d.event = 'approved' "
        "GROUP BY d.conversion_id, d.template_id, d.status"
    ).fetchall()
    per_pair = Counter(
        (str(conv), template) for conv, template, _status, n in owed for _ in range(n)
    )
    not_sent = [row for row in owed if row[2] != "sent"]
    owed_twice = [pair for pair, n in per_pair.items() if n > 1]
    template_ids = sorted({template for _conv, template, _s, _n in owed})
    missing_owed = len(approved_ids) * len(templates) - len(per_pair)
    with receiver.lock:  # a late call may still come in
        hits = {key: n for key, n in receiver.hits.items() if key[1] in approved_ids}
        keys = {key: set(found) for key, found in receiver.keys.items()}
    expected = {(t, conv) for t in templates for conv in approved_ids}
    never = expected - set(hits)
    hit_twice = [key for key, n in hits.items() if n > 1]
    # A worker SIGKILLed after the publisher answered, before the attempt was recorded, sends
    # the delivery again (at least once): the same key, so the publisher counts it once.
    counted_twice = [key for key in hits if len(keys.get(key, {""}) - {""}) != 1]
    counts.update(
        {
            "postback templates": len(templates),
            "postback deliveries owed": len(per_pair),
            "postback deliveries not sent": len(not_sent),
            "postbacks received by the publisher": sum(hits.values()),
            "postbacks received more than once (same Idempotency-Key)": len(hit_twice),
            "postbacks counted more than once by the publisher (distinct keys)": len(counted_twice),
            "postbacks never received": len(never),
        }
    )
    if owed_twice:
        failures.append(f"{len(owed_twice)} postbacks owed twice for one conversion and template")
    if missing_owed or len(template_ids) != len(templates):
        failures.append(f"{missing_owed} postbacks never owed")
    if not_sent:
        failures.append(f"{len(not_sent)} postback deliveries not sent")
    if never:
        failures.append(f"{len(never)} postbacks never reached the publisher")
    if counted_twice:
        failures.append(
            f"{len(counted_twice)} postbacks reached the publisher without one Idempotency-Key"
        )

    raw = conn.execute(
        "SELECT (SELECT count(*) FROM tracking_click), "
        "(SELECT count(*) FROM tracking_click WHERE is_unique), "
        "(SELECT count(*) FROM tracking_conversion WHERE status = 'approved'), "
        "(SELECT coalesce(sum(payout * 1000000), 0)::bigint FROM tracking_conversion "
        " WHERE status = 'approved')"
    ).fetchone()
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name LIKE 'reports\\_%%' AND column_name = 'cv_payout_micros' "
            "ORDER BY table_name"
        ).fetchall()
    ]
    for table in tables:
        totals = conn.execute(
            "SELECT coalesce(sum(clicks), 0), coalesce(sum(unique_clicks), 0), "
            "coalesce(sum(cv_approved), 0), coalesce(sum(cv_payout_micros), 0), "
            "coalesce(sum(ct_approved), 0) "
            f"FROM {table}"
        ).fetchone()
        names = ("clicks", "unique clicks", "approved (conversion time)", "payout micros")
        for name, total, want in zip(names, totals[:4], raw, strict=True):
            if total != want:
                failures.append(f"{table}: {name} {total} != {want} counted from the rows")
        if totals[4] != raw[2]:
            failures.append(f"{table}: approved (click time) {totals[4]} != {raw[2]}")
    counts["report rollup tables checked"] = len(tables)
    return counts, failures
