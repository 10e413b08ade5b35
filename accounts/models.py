from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q

from core.decisions import actor_field


class Role(models.TextChoices):
    MANAGER = "manager", "Network manager"
    FINANCE = "finance", "Finance"
    ADVERTISER = "advertiser", "Advertiser user"
    PUBLISHER = "publisher", "Publisher user"


class AffnetUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `manage.py createsuperuser` asks no role; a superuser acts as a manager anyway.
        extra_fields.setdefault("role", Role.MANAGER)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person (or an API key acting for one). The role decides which rows it may see.

    Advertiser users belong to exactly one advertiser, publisher users to exactly one publisher;
    staff roles (manager, finance) belong to neither. The database enforces the pairing.
    """

    # No default: whoever creates a user picks its role (a default of manager once made every
    # careless "add user" a staff account).
    role = models.CharField(max_length=16, choices=Role.choices)
    advertiser = models.ForeignKey(
        "offers.Advertiser", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    publisher = models.ForeignKey(
        "affiliates.Publisher",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    objects = AffnetUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_organisation",
                condition=(
                    Q(role=Role.ADVERTISER, advertiser__isnull=False, publisher__isnull=True)
                    | Q(role=Role.PUBLISHER, publisher__isnull=False, advertiser__isnull=True)
                    | Q(
                        role__in=[Role.MANAGER, Role.FINANCE],
                        advertiser__isnull=True,
                        publisher__isnull=True,
                    )
                ),
            )
        ]

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER or self.is_superuser

    @property
    def is_finance(self) -> bool:
        return self.role == Role.FINANCE


class StaffChange(models.Model):
    """A finance user made (created, turned finance, re-activated) or its password reset by a
    superuser, waiting for an existing finance user to confirm: two people, never one.

    Until confirmed, a made user stays inactive and a reset's new password is kept here (as a
    hash), so the old one still works and the new one does not. The confirming user is neither
    the requester nor the target (accounts.policy, user.staff_confirm)."""

    class Kind(models.TextChoices):
        CREATE = "create"
        RESET = "reset"

    class State(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        CANCELLED = "cancelled"  # superseded by a newer request for the same user

    target = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    password_hash = models.CharField(max_length=128, blank=True)
    requested_by = actor_field()
    requested_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = actor_field(optional=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(state="pending"),
                name="staff_change_one_pending_per_user",
            ),
            models.CheckConstraint(
                name="staff_change_confirmed_by_another",
                condition=(
                    Q(state="confirmed", confirmed_by__isnull=False)
                    & ~Q(confirmed_by=F("requested_by"))
                    & ~Q(confirmed_by=F("target"))
                )
                | Q(~Q(state="confirmed"), confirmed_by__isnull=True),
            ),
            models.CheckConstraint(
                name="staff_change_reset_carries_a_password",
                condition=Q(kind="create", password_hash="")
                | Q(kind="reset") & ~Q(password_hash=""),
            ),
        ]


class Invitation(models.Model):
    """A manager's invitation to become a user of one advertiser or publisher.

    The link carries a random token that is shown once (in the email); only its SHA-256 is
    kept, so a copy of the database cannot be turned into sign-ins. Used once (`accepted_at`
    and the user it made are set together), and worthless after `expires_at`.
    """

    email = models.EmailField()
    role = models.CharField(
        max_length=16,
        choices=[(Role.ADVERTISER, Role.ADVERTISER.label), (Role.PUBLISHER, Role.PUBLISHER.label)],
    )
    advertiser = models.ForeignKey(
        "offers.Advertiser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    publisher = models.ForeignKey(
        "affiliates.Publisher", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="invitation"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="invitation_role_matches_organisation",
                condition=Q(role=Role.ADVERTISER, advertiser__isnull=False, publisher__isnull=True)
                | Q(role=Role.PUBLISHER, publisher__isnull=False, advertiser__isnull=True),
            ),
            models.CheckConstraint(
                name="invitation_accepted_makes_a_user",
                condition=Q(accepted_at__isnull=True, user__isnull=True)
                | Q(accepted_at__isnull=False, user__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"


class Notification(models.Model):
    """Something a user should know (accounts/notifications.py): shown in the portal's list,
    and emailed when the user wants that kind by email (NotificationPreference)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]


class NotificationPreference(models.Model):
    """Whether `user` wants `kind` by email; no row means the kind's default (yes)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once")
        ]


class PersonalDataRequest(models.Model):
    """A partner user's request that its personal data be deleted (accounts/personal_data.py).

    Carried out by finance or a manager (accounts.policy: personal_data.erase): names, e-mails
    and payout details become a placeholder and the user is deactivated; the ledger, conversions
    and batches keep every amount, so the books still add up."""

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    done_by = actor_field(optional=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state="pending"),
                name="personal_data_request_one_pending_per_user",
            ),
            models.CheckConstraint(
                name="personal_data_request_done_is_stamped",
                condition=Q(state="pending", done_by__isnull=True, done_at__isnull=True)
                | Q(state="done", done_by__isnull=False, done_at__isnull=False),
            ),
        ]
