"""The demo network's user names (ops/demo.py creates them; the embedded mode's "sign in as"
lists them, portal/views/account.py). Here, below both, so the portal need not import ops."""

ADMIN_USERNAME = "admin"

# Staff, then one user per demo advertiser and per demo publisher (ops.demo.ADVERTISERS and
# PUBLISHERS, in order; tests/ops/test_seed_demo.py checks they agree).
DEMO_USERNAMES = [
    "manager",
    "finance",
    "finance2",
    "advertiser1",
    "advertiser2",
    "publisher1",
    "publisher2",
    "publisher3",
]
