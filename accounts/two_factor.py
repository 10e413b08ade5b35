"""Two-factor sign-in with TOTP (django-otp): who must use it, enrolling, verifying.

Required for finance users and superusers (they move or can move money), offered to everyone;
whoever has enrolled is asked for a code at every sign-in. A session counts as verified once a
code from one of the user's confirmed devices was accepted in it (django-otp keeps the device
id in the session; OTPMiddleware reads it back as `request.user.is_verified()`).
"""

import base64
from enum import StrEnum
from typing import Any

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User


class TwoFactorStep(StrEnum):
    ENROLL = "enroll"  # must enrol a device before going on
    VERIFY = "verify"  # has a device: must give a code in this session


def two_factor_required(user: Any) -> bool:
    return bool(user.is_authenticated and (user.role == Role.FINANCE or user.is_superuser))


def two_factor_enrolled(user: Any) -> bool:
    return django_otp.user_has_device(user, confirmed=True)


def two_factor_verified(user: Any) -> bool:
    """Whether this session gave a code. A user signed in during this very request has not
    been through OTPMiddleware yet (no `is_verified`): it has not."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def two_factor_step(request: HttpRequest) -> TwoFactorStep | None:
    """What the signed-in session still owes before it may open pages, if anything."""
    user = request.user
    if not user.is_authenticated or two_factor_verified(user):
        return None
    if two_factor_enrolled(user):
        return TwoFactorStep.VERIFY
    if two_factor_required(user):
        return TwoFactorStep.ENROLL
    return None


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The user's unconfirmed device (made on first visit, kept until confirmed), so reloading
    the enrolment page shows the same key rather than a new one each time."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_key_base32(device: TOTPDevice) -> str:
    """The key as authenticator apps ask for it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_device_confirm(*, request: HttpRequest, token: str) -> bool:
    """Confirm the pending device with a code from it, and verify this session with it."""
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    django_otp.login(request, device)
    return True


def two_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Verify this session with a code from any of the user's confirmed devices."""
    for candidate in TOTPDevice.objects.filter(user=request.user, confirmed=True):
        # Each device checked on its own, so each keeps its own throttle (django-otp's advice).
        device = django_otp.verify_token(request.user, candidate.persistent_id, token)
        if device is not None:
            django_otp.login(request, device)
            return True
    return False


def two_factor_remove(*, user: User) -> int:
    """Remove the user's devices; refused (0) for those who must keep one."""
    if two_factor_required(user):
        return 0
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return deleted
