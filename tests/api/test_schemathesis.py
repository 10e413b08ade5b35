"""The whole API schema fuzzed with every role's key: no 5xx, and only documented statuses.

Schemathesis (through its pytest integration) generates valid and invalid requests for every
operation of the schema drf-spectacular serves to each role (one test per role: a role's
schema lists only the body keys it may send, as `/api/v1/schema/` does for its key), sends them
to the Django WSGI app in-process, and checks each answer: not a server error, a status the
schema documents for the operation, and a body that matches the documented schema for that
status. The seed is fixed (derandomized) so `make test` is repeatable; `make fuzz` runs the same
test for longer with fresh randomness (SCHEMATHESIS_FUZZ=1, all checks) and prints what it finds.

Rows come from the small world of tests/api/world.py, built once per module; path ids are drawn
from its rows as often as they are generated, so detail, update and action endpoints answer
real rows as well as 404s. Each request runs in a savepoint that is rolled back, so a DELETE or
a revoked key never changes what the next example sees.

PostgreSQL only: the SQLite (embedded) run selects `-m sqlite` and never collects this as run.
"""

import json
import os
import time
import zlib
from datetime import date

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from tests.api.amounts import amount_in_minor_units, period_forwards
from tests.api.made_real import offers_side_made_real
from tests.api.multipart import multipart_bodies_inlined
from tests.api.requests_made_real import requests_made_real, state_made_real
from tests.api.world import VISIBLE, build_world

# role -> the world's user holding it (one key each).
ROLES = {"manager": "manager", "finance": "finance", "advertiser": "adv_a", "publisher": "pub_p"}

FUZZ = os.environ.get("SCHEMATHESIS_FUZZ") == "1"
# Per operation and role in `make test`: 3 (2,724 requests, 908 tests; the file took 120 s on the
# two workers of `make test`, quiet machine, 2026-12-02; 4 took about 20 % more).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "200" if FUZZ else "3"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261111"))
# `make fuzz`: once this many seconds have passed, the remaining operations are skipped.
FUZZ_DEADLINE = time.monotonic() + float(os.environ.get("FUZZ_SECONDS", "600"))

STATS = {"examples": 0, "operations": set(), "roles": set(), "seconds": 0.0, "statuses": {}}
WORLD_IDS: dict[str, list[int]] = {}  # endpoint -> ids of the world's rows (filled per module)


def flatmap_path_parameters(context, path_parameters):
    """Half the time, a real row of the world for `{id}` (a 200 or a 403), else the fuzz value."""
    if not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    endpoint = context.operation.path.removeprefix("/api/v1/").split("/")[0]
    ids = WORLD_IDS.get(endpoint)
    if not ids:
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(ids).map(lambda row_id: path_parameters | {"id": row_id}),
    )


RAW_SCHEMAS: dict[str, dict] = {}  # role -> the schema that role is served


def schema_request(role: str) -> Request:
    """A request from a (never saved) user of `role`, as `/api/v1/schema/` would see it."""
    request = Request(RequestFactory().get("/api/v1/schema/"))
    request.user = User(username=f"schema-{role}", role=role)
    request.auth = None  # decided: no key, so drf-spectacular's mock keeps the user above
    return request


def load_schema(role: str) -> schemathesis.BaseSchema:
    """The schema `role` is served: only the body keys that role may send (RoleFieldsSerializer),
    so a positive example for an advertiser never carries a manager-only key."""
    generated = SchemaGenerator().get_schema(request=schema_request(role), public=True)
    raw = json.loads(JSONRenderer().render(generated))
    RAW_SCHEMAS[role] = raw
    multipart_bodies_inlined(raw)
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": not FUZZ,
                "database": "none",
            },
            # The coverage phase enumerates every boundary of every parameter: hundreds of
            # requests per operation. The fuzz run has the time for it; `make test` has not.
            "phases": {"coverage": {"enabled": FUZZ}, "stateful": {"enabled": False}},
        }
    )
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = get_wsgi_application()
    loaded.hook(flatmap_path_parameters)
    return loaded


load_all_checks()


# A body field naming a row -> the world's endpoint of such rows. The schema types these as
# integers; what makes one valid is a row that exists and that the caller may use, which is what
# positive (schema-valid) examples are given, so they are truly valid.
REFERENCES = {
    "advertiser": "advertisers",
    "offer": "offers",
    "goal": "goals",
    "publisher": "publishers",
    "invoice": "invoices",  # the world's one issued invoice (only finance records payments)
}


def _pick(choices: list[str], seed: object) -> str:
    # crc32, not hash(): str hashes change per process, and `make test` must repeat itself.
    return sorted(choices)[zlib.crc32(repr(seed).encode()) % len(choices)]


# What the schemas cannot say, made true of positive examples (each rule's server side named):
# - a period of `date_from`..`date_to` query dates runs forwards and fits the endpoint's window
#   (reports 400 days, the quality report 92, creative results MAX_DAYS): both dates given, in
#   order, and a long span cut to one day;
# - a conversion's rejection or reversal says why (tracking status postbacks: `reason`).
SHORTEST_PERIOD_WINDOW = 92
REASON_REQUIRED_FOR = {"reject", "reverse"}
STATUS_POSTBACK = "/api/v1/conversion-status/"
# - an uploaded validation file is UTF-8 text (tracking/api/validations.py: "Not UTF-8 text."),
#   which a `format: binary` part cannot say: its bytes are a CSV's.
#   Sent as JSON, its `csv` text is the same CSV: that its first row names the columns
#   ("bad_header") is no rule a string schema states.
VALIDATION_UPLOADS = {"/api/v1/validations/", "/api/v1/validations/preview/"}
A_VALIDATION_CSV = b"txn_id,decision,reason\nT-1,approve,\n"
# - a tax form's document is a PDF, PNG or JPEG by its first bytes (payouts.services.payees:
#   "invalid_type"), which `format: binary` cannot say either.
TAX_FORMS = "/api/v1/tax-forms/"
A_TAX_FORM_PDF = b"%PDF-1.4\n%fuzz\n"


def _period_made_real(case) -> None:
    query = case.query or {}
    days = sorted(
        query[name] for name in ("date_from", "date_to") if isinstance(query.get(name), str)
    )
    if not days:
        return
    start, end = days[0], days[-1]
    try:
        long = (date.fromisoformat(end) - date.fromisoformat(start)).days >= SHORTEST_PERIOD_WINDOW
    except ValueError:
        return
    case.query = {**query, "date_from": end if long else start, "date_to": end}


def _body_references(operation: dict, role: str) -> set[str]:
    """The REFERENCES a body types as ids: the sandbox's `goal` is a goal's ref, a string."""
    properties: dict = {}
    for media in operation.get("requestBody", {}).get("content", {}).values():
        body = media.get("schema", {})
        reference = body.get("$ref", "")
        if reference:
            body = RAW_SCHEMAS[role]["components"]["schemas"][reference.rsplit("/", 1)[-1]]
        properties |= body.get("properties", {})
    return {name for name in REFERENCES if properties.get(name, {}).get("type") == "integer"}


def positive_data_made_real(case, role: str, world) -> None:
    """A positive example's ids made real for `role` (and its amount in minor units): references
    in its body point at rows the role can see (one offer, with its goal and advertiser), and a
    query parameter the schema requires for the role (`x-required-for-roles`) is given when the
    example left it out."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if isinstance(case.body, dict):
        amount_in_minor_units(case.body)
    period_forwards(case)
    user = ROLES[role]
    # .get: the coverage phase also sends methods the path does not declare (TRACE...).
    operation = RAW_SCHEMAS[role]["paths"][case.operation.path].get(case.method.lower(), {})
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        required = role in parameter.get("x-required-for-roles", []) and name in REFERENCES
        if required:  # a real row the role may name, not a random id (a 404)
            endpoint = REFERENCES[name]
            row = _pick(list(VISIBLE[endpoint][user]), case.query)
            case.query = {**(case.query or {}), name: world.rows[endpoint][row]}
    _period_made_real(case)
    upload = case.operation.path in VALIDATION_UPLOADS and isinstance(case.body, dict)
    if upload and "file" in case.body:
        case.body["file"] = A_VALIDATION_CSV
    if upload and isinstance(case.body.get("csv"), str):
        case.body["csv"] = A_VALIDATION_CSV.decode()
    tax_form = case.operation.path == TAX_FORMS and isinstance(case.body, dict)
    if tax_form and "document" in case.body:
        case.body["document"] = A_TAX_FORM_PDF
    if tax_form and str(case.body.get("signed_on", "")) > date.today().isoformat():
        case.body["signed_on"] = date.today().isoformat()  # signed, so not in the future
    body = case.body
    postback = case.operation.path == STATUS_POSTBACK and isinstance(body, dict)
    rejecting = postback and body.get("decision") in REASON_REQUIRED_FOR
    if rejecting and not str(body.get("reason") or "").strip():
        body["reason"] = "Refused by the fuzzer."
    references = _body_references(operation, role)
    if not isinstance(body, dict) or not any(body.get(name) is not None for name in references):
        return
    offer = _pick(list(VISIBLE["offers"][user]) or ["A_pub"], body.get("offer"))
    chosen = {"offer": offer, "goal": offer, "advertiser": offer.split("_")[0]}
    publishers = VISIBLE["publishers"][user]
    if publishers:
        chosen["publisher"] = _pick(list(publishers), body.get("publisher"))
    chosen["invoice"] = "A"
    for name, endpoint in REFERENCES.items():
        if body.get(name) is not None and name in chosen and name in references:
            body[name] = world.rows[endpoint][chosen[name]]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        WORLD_IDS.update({endpoint: sorted(rows.values()) for endpoint, rows in built.rows.items()})
        yield built
        WORLD_IDS.clear()
        transaction.set_rollback(True)


@pytest.fixture
def role(request) -> str:
    """Given by each role's test below (indirect parametrization)."""
    STATS["roles"].add(request.param)
    return request.param


@pytest.fixture
def role_key(role, world) -> str:
    return world.clients[ROLES[role]]._credentials["HTTP_AUTHORIZATION"]


@pytest.fixture
def in_process(settings, db):
    """Requests straight into the WSGI app, inside the test's transaction, with no rate limit."""
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.API_KEY_THROTTLE_RATE = ""
    # As Django's test client does: a request's end must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Prints what ran: the figures `make test` and `make fuzz` report."""
    started, cpu = time.monotonic(), time.process_time()
    yield
    if not STATS["examples"]:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATS["statuses"].items()))
    line = (
        f"\nschemathesis: {len(STATS['operations'])} operations x {len(STATS['roles'])} roles, "
        f"{STATS['examples']} requests ({statuses}), "
        f"{STATS['seconds']:.1f} s in requests, {time.monotonic() - started:.1f} s in all "
        f"({time.process_time() - cpu:.1f} s of CPU)"
    )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(line)


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


POSTGRES_ONLY = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only"
)


def no_server_error_nor_undocumented_status(case, role, role_key, world) -> None:
    if FUZZ and time.monotonic() > FUZZ_DEADLINE:
        pytest.skip("FUZZ_SECONDS spent")
    # werkzeug's test client cannot encode a multipart body that is no object (a negative
    # example's `true` crashed the transport): that example is not sent; every other one is.
    multipart = (case.media_type or "").startswith("multipart/form-data")
    hypothesis.assume(not multipart or isinstance(case.body, dict))
    # On the case itself, so the auth checks of `make fuzz` can strip or spoil it. Set before
    # the example is judged: a negative example whose only fault was its (replaced) key is
    # positive once sent, so its references are made real too (`make fuzz`: a random offer id
    # was sent as a schema-valid body).
    case.headers = {**(case.headers or {}), "Authorization": role_key}
    # Read once, before any edit: a later read re-judges the edited containers, and schemathesis
    # judges every body carrying a file (bytes) invalid, so an edited positive multipart example
    # would turn negative (and be refused as an ST201 when the API rightly accepts it).
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    positive_data_made_real(case, role, world)
    requests_made_real(case, role, world, positive=positive)
    started = time.monotonic()
    with transaction.atomic():
        state_made_real(case, world, positive=positive)
        offers_side_made_real(case, role, world, positive=positive)
        response = case.call()
        transaction.set_rollback(True)
    STATS["seconds"] += time.monotonic() - started
    STATS["examples"] += 1
    STATS["operations"].add(case.operation.label)
    STATS["statuses"][response.status_code] = STATS["statuses"].get(response.status_code, 0) + 1
    if FUZZ:
        # Every check schemathesis has but ignored_auth: the schema offers a bearer key OR a
        # session, and that check spoils one while the other (valid) is still sent.
        case.validate_response(response, excluded_checks=[ignored_auth])
    else:
        case.validate_response(response, checks=CHECKS)


def role_test(role: str):
    """The test for one role, over the schema that role is served, with that role's key."""

    @POSTGRES_ONLY
    @pytest.mark.parametrize("role", [role], indirect=True)
    @load_schema(role).parametrize()
    @hypothesis.settings(
        deadline=None,
        # Fixtures are per operation and role; each example is isolated by its own savepoint.
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=FUZZ,
    )
    def test(case, role, role_key, world, in_process):
        no_server_error_nor_undocumented_status(case, role, role_key, world)

    test.__name__ = test.__qualname__ = (
        f"test_no_request_gets_a_server_error_or_an_undocumented_status_as_{role}"
    )
    return test


test_no_request_gets_a_server_error_or_an_undocumented_status_as_advertiser = role_test(
    "advertiser"
)
test_no_request_gets_a_server_error_or_an_undocumented_status_as_finance = role_test("finance")
test_no_request_gets_a_server_error_or_an_undocumented_status_as_manager = role_test("manager")
test_no_request_gets_a_server_error_or_an_undocumented_status_as_publisher = role_test("publisher")
