"""Forms of getting in: sign-in, sign-up, invitations, two-factor. Passwords are checked by
Django's validators (AUTH_PASSWORD_VALIDATORS), and every message lands beside its field."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator

from accounts.invitations import INVITABLE_ROLES
from accounts.models import Role, User
from affiliates.models import Publisher
from affiliates.sign_up import publisher_sign_up_pending_for
from offers.models import Advertiser


class SignInForm(AuthenticationForm):
    """Django's sign-in form, telling a publisher whose sign-up waits that it does (only to
    whoever knows its password: anyone else gets the usual "not correct")."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username = self.cleaned_data.get("username") or ""
            password = self.cleaned_data.get("password") or ""
            if publisher_sign_up_pending_for(username=username):
                user = User.objects.get(username=username)
                if user.check_password(password):
                    raise forms.ValidationError(
                        "Your sign-up is waiting for a manager's approval: we will email you.",
                        code="pending",
                    ) from None
            raise


class _NewPassword(forms.Form):
    """A username and a password typed twice, as Django's UserCreationForm checks them."""

    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.", code="duplicate")
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            probe = User(username=cleaned.get("username") or "", email=cleaned.get("email") or "")
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class SignUpForm(_NewPassword):
    company = forms.CharField(
        label="Company or site name", max_length=200, help_text="What advertisers will see."
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    field_order = ["company", "email", "username", "password1", "password2"]

    def clean_company(self) -> str:
        company = self.cleaned_data["company"].strip()
        if not company:
            raise forms.ValidationError("This field is required.", code="required")
        if Publisher.objects.filter(name__iexact=company).exists():
            raise forms.ValidationError(
                "A publisher of this name exists: ask its owner for an invitation.",
                code="duplicate",
            )
        return company


class InvitationAcceptForm(_NewPassword):
    pass


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[(role, Role(role).label) for role in INVITABLE_ROLES])
    advertiser = forms.ModelChoiceField(
        queryset=Advertiser.objects.order_by("name"),
        required=False,
        help_text="For an advertiser user.",
    )
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.exclude(status=Publisher.Status.PENDING).order_by("name"),
        required=False,
        help_text="For a publisher user.",
    )

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role == Role.ADVERTISER and not cleaned.get("advertiser"):
            self.add_error("advertiser", "Choose the advertiser this user works for.")
        if role == Role.PUBLISHER and not cleaned.get("publisher"):
            self.add_error("publisher", "Choose the publisher this user works for.")
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("Six digits.", code="invalid")
        return token
