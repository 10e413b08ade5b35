"""Log lines carry the click id or conversion id they are about, as JSON in production."""

import io
import json
import logging
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings

from config.logging import (
    JsonLineFormatter,
    LogContextFilter,
    log_context,
    log_context_current,
    logging_config,
)


@pytest.fixture
def json_lines():
    """A logger writing through the production handler setup (filter + JSON) into a buffer."""
    config = logging_config(log_format="json", level="INFO")
    assert config["formatters"]["main"]["()"] == "config.logging.JsonLineFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("tests.deploy.json")
    logger.addHandler(handler)
    logger.propagate = False
    # Its own level: a Celery worker started by an earlier test lowers the root logger to ERROR.
    logger.setLevel(logging.INFO)
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def test_every_line_inside_a_block_carries_the_bound_click_id(json_lines):
    logger, lines = json_lines
    logger.info("before")
    with log_context(click_id="01JCLICK"):
        logger.info("redirected %s", "to offer")
        with log_context(conversion_id=42):
            logger.warning("attributed", extra={"goal": "sale"})
    logger.info("after")
    before, redirected, attributed, after = lines()
    assert "click_id" not in before
    assert redirected["click_id"] == "01JCLICK"
    assert redirected["message"] == "redirected to offer"
    assert redirected["level"] == "INFO"
    assert redirected["logger"] == "tests.deploy.json"
    assert redirected["time"].endswith("+00:00")
    assert attributed == {**attributed, "click_id": "01JCLICK", "conversion_id": 42, "goal": "sale"}
    assert "click_id" not in after and "conversion_id" not in after


def test_an_exception_is_logged_as_one_json_line_with_its_traceback(json_lines):
    logger, lines = json_lines
    with log_context(conversion_id=7):
        try:
            raise RuntimeError("postback target refused")
        except RuntimeError:
            logger.exception("postback failed")
    (line,) = lines()
    assert line["conversion_id"] == 7
    assert "RuntimeError: postback target refused" in line["exc_info"]


def test_bound_ids_do_not_leak_between_threads():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other_thread():
        inside.wait(5)
        seen["other"] = log_context_current()
        release.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with log_context(click_id="mine"):
        inside.set()
        release.wait(5)
        seen["mine"] = log_context_current()
    thread.join(5)
    assert seen == {"other": {}, "mine": {"click_id": "mine"}}


def test_an_unknown_log_format_stops_start_up_naming_the_variable():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr


def test_with_log_format_json_the_process_writes_json_lines_with_bound_ids():
    code = (
        "import django, logging; django.setup()\n"
        "from config.logging import log_context\n"
        "with log_context(click_id='01JX'):\n"
        "    logging.getLogger('tracking.clicks').warning('buffered')\n"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line == {**line, "message": "buffered", "click_id": "01JX", "logger": "tracking.clicks"}
