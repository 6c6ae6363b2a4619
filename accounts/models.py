"""Users, API keys, credits and notifications (V1 tables user_accounts, api_keys,
api_key_usage, credit_balances, credit_transactions, notifications)."""

import uuid

import bcrypt
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import UUID4, Now

from accounts.fields import NotificationTypeField, TierField
from adapters.fields import AdapterTypeField, AdapterTypeListField
from defarm.fields import TextArrayField
from defarm.timeutils import unix_now

LEGACY_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


def new_user_id() -> str:
    return f"user-{uuid.uuid4()}"


class Tier(models.TextChoices):
    BASIC = "Basic"
    PROFESSIONAL = "Professional"
    ENTERPRISE = "Enterprise"
    ADMIN = "Admin"


class UserStatus(models.TextChoices):
    ACTIVE = "Active"
    SUSPENDED = "Suspended"
    BANNED = "Banned"
    PENDING_VERIFICATION = "PendingVerification"
    TRIAL_EXPIRED = "TrialExpired"


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, email: str, password: str | None = None, **fields):
        fields.setdefault("workspace_id", f"{username}-workspace")
        user = self.model(username=username, email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str, password: str | None = None, **fields):
        fields.setdefault("is_admin", True)
        fields.setdefault("tier", Tier.ADMIN)
        return self.create_user(username, email, password, **fields)


class User(AbstractBaseUser):
    """A DeFarm account. Staff are the users with ``is_admin``."""

    user_id = models.CharField(primary_key=True, max_length=255, default=new_user_id)
    username = models.CharField(max_length=255, unique=True)
    email = models.EmailField(max_length=255, unique=True)
    password = models.CharField(max_length=255, db_column="password_hash")
    tier = TierField(max_length=50, choices=Tier.choices, default=Tier.BASIC, db_index=True)
    status = models.CharField(max_length=50, choices=UserStatus.choices, default=UserStatus.ACTIVE)
    is_admin = models.BooleanField(default=False, db_default=False)
    workspace_id = models.CharField(max_length=255, null=True, blank=True)
    available_adapters = AdapterTypeListField(
        null=True, blank=True, help_text="Adapter types this user may use; empty = tier default."
    )
    selected_adapter = AdapterTypeField(
        max_length=100,
        null=True,
        blank=True,
        help_text="Not in V1: the adapter type the user chose (POST /api/adapters/select).",
    )
    last_login_ts = models.BigIntegerField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    # Not in V1: JWTs issued at or before this second are refused (accounts.tokens).
    tokens_valid_after_ts = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Unix seconds: JWTs issued at or before it are refused (password change, "
        "reset, suspension).",
    )

    last_login = None  # V1 keeps the last login as Unix seconds in last_login_ts.

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        db_table = "user_accounts"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_staff(self) -> bool:
        return self.is_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_admin

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active and self.is_admin

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_admin

    def check_password(self, raw_password: str) -> bool:
        """Verify a password; raw bcrypt hashes written by the earlier engine are upgraded."""
        if self.password.startswith(LEGACY_BCRYPT_PREFIXES):
            try:
                matches = bcrypt.checkpw(raw_password.encode(), self.password.encode())
            except ValueError:
                return False
            if matches and self.pk:
                self.set_password(raw_password)
                self.save(update_fields=["password"])
            return matches
        return super().check_password(raw_password)


class CreditBalance(models.Model):
    user = models.OneToOneField(
        User,
        primary_key=True,
        db_column="user_id",
        on_delete=models.DB_CASCADE,
        related_name="credit_balance",
    )
    credits = models.BigIntegerField(default=0)
    updated_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "credit_balances"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.credits} credits"


class TransactionType(models.TextChoices):
    PURCHASE = "Purchase"
    GRANT = "Grant"
    CONSUMPTION = "Consumption"
    REFUND = "Refund"
    SUBSCRIPTION = "Subscription"
    PENALTY = "Penalty"


class CreditTransaction(models.Model):
    """One ledger row per change of a balance."""

    transaction_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        User, db_column="user_id", on_delete=models.PROTECT, related_name="credit_transactions"
    )
    amount = models.BigIntegerField()
    transaction_type = models.CharField(max_length=50, choices=TransactionType.choices)
    description = models.TextField(null=True, blank=True)
    balance_after = models.BigIntegerField()
    created_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "credit_transactions"
        ordering = ["-created_at_ts", "-created_at"]
        indexes = [models.Index(fields=["-created_at_ts"], name="credit_tx_created_ts_idx")]

    def __str__(self) -> str:
        return f"{self.transaction_type} {self.amount:+d} ({self.user_id})"


class ApiKeyPermission(models.TextChoices):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class OrganizationType(models.TextChoices):
    """The kind of organisation an API key is issued for (recorded, shown in answers)."""

    ADMIN = "Admin"
    PRODUCER = "Producer"
    ASSOCIATION = "Association"
    ENTERPRISE = "Enterprise"
    GOVERNMENT = "Government"
    EXTERNAL = "External"


class ApiKey(models.Model):
    key_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        User, db_column="user_id", on_delete=models.DB_CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=255)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=20, editable=False)
    permissions = TextArrayField(default=list)
    custom_permissions = models.JSONField(
        default=dict,
        db_default={},
        blank=True,
        help_text="Named permissions of the key's own (name -> true/false), kept for the client.",
    )
    organization_type = models.CharField(
        max_length=50,
        choices=OrganizationType.choices,
        default=OrganizationType.EXTERNAL,
        db_default=OrganizationType.EXTERNAL,
    )
    organization_id = models.UUIDField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    rate_limit_per_minute = models.IntegerField(null=True, blank=True)
    rate_limit_per_hour = models.IntegerField(null=True, blank=True)
    rate_limit_per_day = models.IntegerField(null=True, blank=True)
    allowed_ips = TextArrayField(null=True, blank=True)
    allowed_endpoints = TextArrayField(null=True, blank=True)
    expires_at_ts = models.BigIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True, db_default=True, db_index=True)
    last_used_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "api_keys"
        ordering = ["-created_at_ts", "key_id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}...)"


class ApiKeyUsage(models.Model):
    usage_id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=UUID4())
    key = models.ForeignKey(
        ApiKey, db_column="key_id", on_delete=models.DB_CASCADE, related_name="usage"
    )
    endpoint = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    status_code = models.IntegerField()
    timestamp_ts = models.BigIntegerField(default=unix_now)
    ip_address = models.CharField(max_length=50, null=True, blank=True)
    response_time_ms = models.FloatField(
        null=True, blank=True, help_text="How long DeFarm took to answer, in milliseconds."
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "api_key_usage"
        ordering = ["-timestamp_ts"]
        verbose_name = "API key usage"
        verbose_name_plural = "API key usage"
        indexes = [models.Index(fields=["-timestamp_ts"], name="api_key_usage_ts_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint} -> {self.status_code}"


class Notification(models.Model):
    notification_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        User, db_column="user_id", on_delete=models.DB_CASCADE, related_name="notifications"
    )
    notification_type = NotificationTypeField(max_length=100)
    title = models.CharField(max_length=255)
    message = models.TextField()
    data = models.JSONField(null=True, blank=True)
    is_read = models.BooleanField(default=False, db_default=False, db_index=True)
    read_at_ts = models.BigIntegerField(null=True, blank=True)
    created_at_ts = models.BigIntegerField(default=unix_now)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at_ts", "notification_id"]
        indexes = [models.Index(fields=["-created_at_ts"], name="notifications_created_ts_idx")]

    def __str__(self) -> str:
        return self.title


class ApiKeyRateCounter(models.Model):
    """Requests of one key in one fixed window (minute, hour or day), counted by an atomic
    upsert so the limits hold across every server process."""

    key = models.ForeignKey(
        ApiKey, db_column="key_id", on_delete=models.DB_CASCADE, related_name="rate_counters"
    )
    window_seconds = models.IntegerField()
    window_start = models.BigIntegerField(help_text="Unix seconds the window starts at.")
    count = models.IntegerField(default=0)

    class Meta:
        db_table = "api_key_rate_counters"
        verbose_name = "API key rate counter"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_seconds", "window_start"],
                name="api_key_rate_counters_window_uniq",
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="rate_counters_start_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.window_seconds}s@{self.window_start}: {self.count}"


class AttemptCounter(models.Model):
    """Attempts of one kind (``scope``: logins, one circuit's passwords) from one client
    (``ident``: its address) in one fixed window, counted by an atomic upsert so the limit
    holds across every server process and replica."""

    scope = models.CharField(max_length=100)
    ident = models.CharField(max_length=100)
    window_start = models.BigIntegerField(help_text="Unix seconds the window starts at.")
    window_seconds = models.IntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        db_table = "attempt_counters"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "ident", "window_start"], name="attempt_counters_window_uniq"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="attempt_counters_start_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.ident}@{self.window_start}: {self.count}"


class WorkspaceRole(models.TextChoices):
    OWNER = "Owner"
    ADMIN = "Admin"
    MEMBER = "Member"
    VIEWER = "Viewer"


class WorkspaceVisibility(models.TextChoices):
    """A workspace's ``settings.default_visibility``: who besides their creator sees the items
    and circuits of the users whose workspace it is (``user_accounts.workspace_id``) while they
    are its members. ``Private``: no one through the workspace. ``Workspace``: every member of
    the workspace, read-only."""

    PRIVATE = "Private"
    WORKSPACE = "Workspace"


def workspace_default_settings() -> dict:
    """The earlier engine's defaults for a workspace's settings, and DeFarm's
    ``default_visibility``."""
    return {
        "default_circuit_permissions": {},
        "default_event_visibility": "Private",
        "encryption_enabled": True,
        "retention_policy_days": 365,
        "max_members": 100,
        "allow_public_circuits": False,
        "default_visibility": WorkspaceVisibility.PRIVATE.value,
    }


class Workspace(models.Model):
    """Not in V1 (the engine kept workspaces in memory): an organisation. A personal
    workspace's id is its owner's ``user_accounts.workspace_id``; others get a UUID string."""

    workspace_id = models.CharField(primary_key=True, max_length=255)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    owner = models.ForeignKey(
        User, db_column="owner_id", on_delete=models.CASCADE, related_name="owned_workspaces"
    )
    settings = models.JSONField(default=workspace_default_settings)
    created_at_ts = models.BigIntegerField(default=unix_now)
    updated_at_ts = models.BigIntegerField(default=unix_now)

    class Meta:
        db_table = "workspaces"
        ordering = ["created_at_ts", "workspace_id"]

    def __str__(self) -> str:
        return self.name


class WorkspaceMember(models.Model):
    workspace = models.ForeignKey(
        Workspace, db_column="workspace_id", on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        User, db_column="user_id", on_delete=models.CASCADE, related_name="workspace_memberships"
    )
    role = models.CharField(max_length=20, choices=WorkspaceRole.choices)
    joined_at_ts = models.BigIntegerField(default=unix_now)
    last_active_ts = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "workspace_members"
        ordering = ["joined_at_ts", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="workspace_members_workspace_user_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.role})"


class PasswordResetToken(models.Model):
    """Not in V1: one password reset asked for by e-mail. Only the SHA-256 of the token is
    kept; the token itself is only in the e-mail. It works once, until ``expires_at_ts``."""

    token_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        User, db_column="user_id", on_delete=models.CASCADE, related_name="password_reset_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at_ts = models.BigIntegerField(default=unix_now)
    expires_at_ts = models.BigIntegerField()
    used_at_ts = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "password_reset_tokens"
        ordering = ["-created_at_ts", "token_id"]
        indexes = [
            models.Index(fields=["user", "created_at_ts"], name="password_reset_user_ts_idx"),
            models.Index(fields=["expires_at_ts"], name="password_reset_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"Password reset of {self.user_id}"


class UserActivityType(models.TextChoices):
    CREATE = "Create"
    READ = "Read"
    UPDATE = "Update"
    DELETE = "Delete"
    LOGIN = "Login"
    LOGOUT = "Logout"
    EXPORT = "Export"
    IMPORT = "Import"
    SHARE = "Share"
    APPROVE = "Approve"
    REJECT = "Reject"


class UserActivityCategory(models.TextChoices):
    AUTHENTICATION = "Authentication"
    ITEMS = "Items"
    CIRCUITS = "Circuits"
    EVENTS = "Events"
    ADMIN = "Admin"
    API_KEYS = "ApiKeys"
    WORKSPACES = "Workspaces"


class UserResourceType(models.TextChoices):
    ITEM = "Item"
    CIRCUIT = "Circuit"
    EVENT = "Event"
    API_KEY = "ApiKey"
    USER = "User"
    WORKSPACE = "Workspace"
    ADAPTER = "Adapter"


class UserActivity(models.Model):
    """Not in V1 (the engine wrote it but never read it back): what a user did, written by
    DeFarm's services (logins, item, circuit, event, API-key and workspace changes, exports,
    approvals, staff actions) and posted by clients."""

    activity_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        User, db_column="user_id", on_delete=models.CASCADE, related_name="activities"
    )
    workspace_id = models.CharField(max_length=255, null=True, blank=True)
    timestamp_ts = models.BigIntegerField(default=unix_now)
    activity_type = models.CharField(max_length=20, choices=UserActivityType.choices)
    category = models.CharField(max_length=20, choices=UserActivityCategory.choices)
    resource_type = models.CharField(max_length=20, choices=UserResourceType.choices)
    resource_id = models.CharField(max_length=255)
    action = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    metadata = models.JSONField(null=True, blank=True)
    success = models.BooleanField(default=True)
    ip_address = models.CharField(max_length=64, null=True, blank=True)
    user_agent = models.CharField(max_length=500, null=True, blank=True)

    class Meta:
        db_table = "user_activities"
        ordering = ["-timestamp_ts", "activity_id"]
        verbose_name = "user activity"
        verbose_name_plural = "user activities"
        indexes = [
            models.Index(fields=["user", "-timestamp_ts"], name="user_activities_user_ts_idx"),
            models.Index(fields=["-timestamp_ts"], name="user_activities_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.activity_type} {self.resource_type} {self.resource_id}"
