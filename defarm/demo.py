"""Demo data to explore DeFarm with (``python manage.py seed_demo``): the earlier engine's demo
accounts and a small cattle supply chain, written through the same services as the API.

Running it again changes nothing: every account, item, membership, role, push, event and key is
looked up before it is written. Development and demonstrations only: the accounts' password is
the engine's documented ``demo123``.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accounts.models import ApiKey, ApiKeyPermission, Tier, TransactionType, User
from accounts.services.api_keys import api_key_create
from accounts.services.credits import credits_add
from accounts.services.users import user_create
from accounts.tiers import SIGNUP_CREDITS
from adapters.models import StorageTrigger
from adapters.services import item_store
from circuits.models import (
    Circuit,
    CircuitCustomRole,
    CircuitItem,
    CircuitMember,
    CircuitPendingItem,
    PendingItemStatus,
)
from circuits.services.circuits import circuit_create
from circuits.services.members import member_add, role_create
from circuits.services.operations import circuit_push, pending_item_approve
from items.models import EventType, EventVisibility, Item, ItemIdentifier
from items.services import item_create
from items.services.events import event_record

DEMO_PASSWORD = "demo123"


@dataclass(frozen=True)
class DemoAccount:
    user_id: str
    username: str
    email: str
    tier: str
    credits: int
    is_admin: bool = False


# The earlier engine's seeded accounts (its user ids, names, tiers and credits).
DEMO_ACCOUNTS = (
    DemoAccount("hen-admin-001", "hen", "hen@defarm.com", Tier.ADMIN, 1_000_000, is_admin=True),
    DemoAccount("pullet-user-001", "pullet", "pullet@defarm.io", Tier.PROFESSIONAL, 5_000),
    DemoAccount("cock-user-001", "cock", "cock@defarm.io", Tier.ENTERPRISE, 50_000),
    DemoAccount("basic-farmer-001", "basic_farmer", "basic@farm.com", Tier.BASIC, 100),
    DemoAccount("pro-farmer-001", "pro_farmer", "pro@farm.com", Tier.PROFESSIONAL, 5_000),
    DemoAccount(
        "enterprise-farmer-001", "enterprise_farmer", "enterprise@farm.com", Tier.ENTERPRISE, 50_000
    ),
)

FARMS = (
    {
        "owner": "pro_farmer",
        "car": "BR-MT-5107925-8F3A2C1D9E4B4F0A8C7D6E5F4A",
        "data": {
            "type": "farm",
            "name": "Fazenda Boa Vista",
            "municipality": "Sorriso",
            "state": "MT",
            "area_hectares": 1240,
        },
    },
    {
        "owner": "basic_farmer",
        "car": "BR-GO-5208707-1A2B3C4D5E6F47A8B9C0D1E2F3",
        "data": {
            "type": "farm",
            "name": "Sitio Sao Joao",
            "municipality": "Rio Verde",
            "state": "GO",
            "area_hectares": 86,
        },
    },
)

# (owner, SISBOV, ear tag, data); SISBOV is "BR" and 12 digits.
CATTLE = (
    (
        "pro_farmer",
        "BR510792500001",
        "BV-0001",
        {"breed": "Nelore", "sex": "F", "born": "2024-08-14"},
    ),
    (
        "pro_farmer",
        "BR510792500002",
        "BV-0002",
        {"breed": "Nelore", "sex": "M", "born": "2024-09-02"},
    ),
    (
        "pro_farmer",
        "BR510792500003",
        "BV-0003",
        {"breed": "Angus", "sex": "M", "born": "2024-07-21"},
    ),
    (
        "pro_farmer",
        "BR510792500004",
        "BV-0004",
        {"breed": "Brangus", "sex": "F", "born": "2024-10-30"},
    ),
    (
        "basic_farmer",
        "BR520870700001",
        "SJ-017",
        {"breed": "Gir", "sex": "F", "born": "2023-12-05"},
    ),
)

# Events per SISBOV: (activity, metadata).
CATTLE_EVENTS = {
    "BR510792500001": (
        (
            EventType.VACCINATED,
            {"vaccine": "Foot-and-mouth (aftosa)", "dose_ml": 5, "date": "2025-05-10"},
        ),
        (EventType.WEIGHED, {"weight_kg": 312.5, "date": "2025-06-01"}),
        (
            EventType.MOVED,
            {
                "from": "Fazenda Boa Vista",
                "to": "Confinamento Sorriso",
                "transport_document": "GTA MT-221947",
            },
        ),
    ),
    "BR510792500002": (
        (
            EventType.VACCINATED,
            {"vaccine": "Brucellosis (B19)", "dose_ml": 2, "date": "2025-05-10"},
        ),
        (EventType.WEIGHED, {"weight_kg": 348.0, "date": "2025-06-01"}),
    ),
    "BR510792500003": ((EventType.WEIGHED, {"weight_kg": 295.2, "date": "2025-06-01"}),),
    "BR520870700001": (
        (EventType.VACCINATED, {"vaccine": "Rabies", "dose_ml": 2, "date": "2025-04-22"}),
    ),
}

COOPERATIVE = "Cooperativa Vale do Teles Pires"
# SISBOVs pushed into the cooperative and approved; the last push is left waiting.
APPROVED_PUSHES = ("BR510792500001", "BR510792500002")
WAITING_PUSH = "BR510792500003"
DEMO_KEY_NAME = "Demo integration (read and write)"


@dataclass
class DemoSummary:
    created: list[str] = field(default_factory=list)
    api_key: str | None = None

    def note(self, text: str) -> None:
        self.created.append(text)


def _account(spec: DemoAccount, summary: DemoSummary) -> User:
    user = User.objects.filter(pk=spec.user_id).first()
    if user is not None:
        return user
    user = user_create(
        user_id=spec.user_id,
        username=spec.username,
        email=spec.email,
        password=DEMO_PASSWORD,
        tier=spec.tier,
        is_admin=spec.is_admin,
    )
    if spec.credits > SIGNUP_CREDITS:
        credits_add(
            user=user,
            amount=spec.credits - SIGNUP_CREDITS,
            transaction_type=TransactionType.GRANT,
            description="Demo credits",
        )
    summary.note(f"account {spec.username} ({spec.tier})")
    return user


def _item_by_identifier(namespace: str, key: str, value: str) -> Item | None:
    row = (
        ItemIdentifier.objects.filter(namespace=namespace, key=key, value=value)
        .select_related("item")
        .first()
    )
    return row.item if row else None


def _item(
    *,
    user: User,
    namespace: str,
    key: str,
    value: str,
    identifiers: list[dict[str, Any]],
    data: dict[str, Any],
    summary: DemoSummary,
) -> Item:
    existing = _item_by_identifier(namespace, key, value)
    if existing is not None:
        return existing
    item = item_create(user=user, identifiers=identifiers, enriched_data=data, source="demo").item
    summary.note(f"item {item.pk} ({value})")
    return item


def _circuit(*, owner: User, summary: DemoSummary) -> Circuit:
    circuit = Circuit.objects.filter(owner=owner, name=COOPERATIVE).first()
    if circuit is not None:
        return circuit
    circuit = circuit_create(
        owner=owner,
        name=COOPERATIVE,
        description="Beef cattle cooperative of the Teles Pires valley (MT): members push "
        "their animals; the cooperative approves each one before it joins.",
        permissions={"require_approval_for_push": True},
        adapter_config={"adapter_type": "local"},
    )
    summary.note(f"circuit {circuit.name}")
    return circuit


def _member(*, circuit: Circuit, actor: User, member: User, role: str, summary: DemoSummary):
    if not CircuitMember.objects.filter(circuit=circuit, member=member).exists():
        member_add(circuit=circuit, actor=actor, member=member, role=role)
        summary.note(f"{member.username} joins {circuit.name} as {role}")


def _push(*, circuit: Circuit, user: User, item: Item, approver: User | None, summary):
    in_circuit = CircuitItem.objects.filter(circuit=circuit, item=item).exists()
    waiting = CircuitPendingItem.objects.filter(
        circuit=circuit, item=item, status=PendingItemStatus.PENDING
    ).first()
    if in_circuit or (waiting is not None and approver is None):
        return
    if waiting is None:
        circuit_push(circuit=circuit, user=user, dfid=item.pk)
        summary.note(f"{user.username} pushes {item.pk} into {circuit.name}")
        waiting = CircuitPendingItem.objects.get(
            circuit=circuit, item=item, status=PendingItemStatus.PENDING
        )
    if approver is not None:
        pending_item_approve(pending_item=waiting, approver=approver)
        summary.note(f"{approver.username} approves {item.pk}")


def demo_seed() -> DemoSummary:
    """Write the demo accounts and supply chain; what exists already is left as it is."""
    summary = DemoSummary()
    with transaction.atomic():
        users = {spec.username: _account(spec, summary) for spec in DEMO_ACCOUNTS}

    for farm in FARMS:
        _item(
            user=users[farm["owner"]],
            namespace="generic",
            key="car",
            value=farm["car"],
            identifiers=[
                {"namespace": "generic", "key": "car", "value": farm["car"], "id_type": "Canonical"}
            ],
            data=farm["data"],
            summary=summary,
        )

    cattle: dict[str, Item] = {}
    for owner, sisbov, ear_tag, data in CATTLE:
        farm = next(f["data"]["name"] for f in FARMS if f["owner"] == owner)
        cattle[sisbov] = _item(
            user=users[owner],
            namespace="bovino",
            key="sisbov",
            value=sisbov,
            identifiers=[
                {"namespace": "bovino", "key": "sisbov", "value": sisbov, "id_type": "Canonical"},
                {"namespace": "bovino", "key": "ear_tag", "value": ear_tag},
            ],
            data={**data, "farm": farm},
            summary=summary,
        )

    owners = {sisbov: owner for owner, sisbov, _, _ in CATTLE}
    for sisbov, events in CATTLE_EVENTS.items():
        for event_type, metadata in events:
            event_record(
                item=cattle[sisbov],
                event_type=event_type,
                user=users[owners[sisbov]],
                source="demo",
                metadata=metadata,
                visibility=EventVisibility.PUBLIC,
            )

    owner = users["cock"]
    circuit = _circuit(owner=owner, summary=summary)
    if not CircuitCustomRole.objects.filter(circuit=circuit, role_name="Veterinarian").exists():
        role_create(circuit=circuit, actor=owner, role_name="Veterinarian", permissions=["Pull"])
        summary.note("role Veterinarian (Pull)")
    _member(
        circuit=circuit, actor=owner, member=users["pro_farmer"], role="Member", summary=summary
    )
    _member(circuit=circuit, actor=owner, member=users["pullet"], role="Admin", summary=summary)
    _member(
        circuit=circuit,
        actor=owner,
        member=users["enterprise_farmer"],
        role="Veterinarian",
        summary=summary,
    )
    for sisbov in APPROVED_PUSHES:
        _push(
            circuit=circuit,
            user=users["pro_farmer"],
            item=cattle[sisbov],
            approver=users["pullet"],
            summary=summary,
        )
    _push(
        circuit=circuit,
        user=users["pro_farmer"],
        item=cattle[WAITING_PUSH],
        approver=None,
        summary=summary,
    )

    # A weighing stored again later: a second storage record for the first animal.
    first = cattle[APPROVED_PUSHES[0]]
    if first.storage_history.count() < 2:
        item_store(
            item=first,
            adapter_type="local",
            triggered_by=StorageTrigger.MANUAL,
            triggered_by_id=users["pro_farmer"].pk,
            metadata={"reason": "demo: stored again after the June weighing"},
        )
        summary.note(f"storage record for {first.pk}")

    pullet = users["pullet"]
    if not ApiKey.objects.filter(user=pullet, name=DEMO_KEY_NAME).exists():
        _, raw_key = api_key_create(
            user=pullet,
            name=DEMO_KEY_NAME,
            permissions=[ApiKeyPermission.READ, ApiKeyPermission.WRITE],
        )
        summary.api_key = raw_key
        summary.note(f"API key {raw_key[:8]}... for pullet")
    return summary
