"""API key pages: every signed-in user lists its own keys (prefix, name, created, last used),
mints one (the whole key is in that one response and nowhere else: we keep its SHA-256 and a
prefix, affiliates/keys.py) and revokes one of its own. Managers also read the keys of
publisher and advertiser users, by prefix only, and revoke none of them here.

Keys are minted and revoked by affiliates/services.py, the same services as /api/v1/api-keys/
(so the API_KEYS_PER_USER limit holds here too). A key that is not the user's own is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from affiliates.models import ApiKey
from affiliates.selectors import api_keys_visible_to
from affiliates.services import user_api_key_create, user_api_key_revoke
from core.errors import DomainError
from portal.api_key_forms import ApiKeyCreateForm
from portal.form_errors import form_errors_add
from portal.roles import ANYONE, MANAGER, role_required

PAGE_SIZE = 50


def _own_keys(request: HttpRequest):
    return ApiKey.objects.filter(user_id=request.user.pk).order_by("-id")


def _page(request: HttpRequest, form: ApiKeyCreateForm, minted: str | None = None) -> HttpResponse:
    response = render(
        request,
        "portal/api_keys/own.html",
        {"keys": _own_keys(request), "form": form, "minted": minted},
    )
    if minted:
        response["Cache-Control"] = "no-store"
    return response


@role_required(*ANYONE)
def own_keys(request: HttpRequest) -> HttpResponse:
    """GET lists; POST mints one and answers the list with the key shown once (no redirect: the
    key is in this response only, never in the session or a log)."""
    form = ApiKeyCreateForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, form)
    try:
        minted = user_api_key_create(user=request.user, name=form.cleaned_data["name"])
    except DomainError as exc:
        form_errors_add(form=form, error=exc)
        return _page(request, form)
    return _page(request, ApiKeyCreateForm(), minted=minted.raw_key)


@role_required(*ANYONE)
@require_POST
def revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = _own_keys(request).filter(pk=key_id).first()
    if api_key is None:
        raise Http404("No such key of yours.")
    user_api_key_revoke(api_key=api_key)
    messages.success(request, f"Key {api_key.prefix}… revoked: requests with it now get 401.")
    return redirect("portal:api-keys")


@role_required(MANAGER)
def partner_keys(request: HttpRequest) -> HttpResponse:
    """Keys of publisher and advertiser users: prefixes, never a secret (none is kept)."""
    rows = (
        api_keys_visible_to(user=request.user)
        .filter(user__role__in=[Role.PUBLISHER, Role.ADVERTISER])
        .select_related("user", "user__publisher", "user__advertiser")
        .order_by("-id")
    )
    state = request.GET.get("state", "")
    if state == "active":
        rows = rows.filter(revoked_at__isnull=True)
    elif state == "revoked":
        rows = rows.filter(revoked_at__isnull=False)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/api_keys/partners.html", {"page": page, "state": state})
