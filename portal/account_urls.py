"""Getting in: the URLs of portal/views/account.py and the managers' portal/views/people.py,
spliced into portal/urls.py (namespace `portal`)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from portal.views import account, people

urlpatterns = [
    path("login/", account.SignInView.as_view(), name="login"),
    path("login/as/", account.sign_in_as, name="login-as"),
    path("logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
    path("sign-up/", account.sign_up, name="sign-up"),
    path("sign-up/sent/", account.sign_up_sent, name="sign-up-sent"),
    path("invitations/<str:token>/", account.invitation, name="invitation-accept"),
    path("account/two-factor/", account.two_factor, name="two-factor"),
    path("account/two-factor/verify/", account.two_factor_verify_view, name="two-factor-verify"),
    path("account/two-factor/remove/", account.two_factor_remove_view, name="two-factor-remove"),
    # Password reset by email: Django's views, our templates.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="portal/account/password_reset_form.html",
            email_template_name="portal/account/password_reset_email.txt",
            subject_template_name="portal/account/password_reset_subject.txt",
            success_url=reverse_lazy("portal:password-reset-sent"),
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="portal/account/password_reset_sent.html"
        ),
        name="password-reset-sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/account/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password-reset-done"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/account/password_reset_done.html"
        ),
        name="password-reset-done",
    ),
    # Managers.
    path("network/sign-ups/", people.sign_ups, name="network-sign-ups"),
    path(
        "network/sign-ups/<int:publisher_id>/<str:verb>/",
        people.sign_up_decide,
        name="network-sign-up-decide",
    ),
    path("network/invitations/", people.invitations, name="network-invitations"),
]
