"""Helpers for click tests: a visitor following a link, and the ingester run by hand."""

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GB_IP = "81.2.69.142"
US_IP = "8.8.8.8"


def visit(client, path: str, *, ua: str = BROWSER_UA, ip: str = US_IP, **extra):
    """One visitor following a tracking link (Django test client, same code as production)."""
    return client.get(path, HTTP_USER_AGENT=ua, REMOTE_ADDR=ip, **extra)


def ingest():
    """Move everything buffered into the database, as the `clicks` task does."""
    from tracking.clicks.ingest import clicks_ingest

    return clicks_ingest(max_seconds=5)


def only_click():
    from tracking.models import Click

    ingest()
    clicks = list(Click.objects.all())
    assert len(clicks) == 1, clicks
    return clicks[0]
