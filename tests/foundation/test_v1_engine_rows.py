"""A database the earlier engine wrote is adopted whole.

The database is made from the engine's own DDL (``V1__initial_schema.sql``, a copy of
``shared/schema``), filled with rows spelled the way the engine's storage code wrote them
(``src/postgres_persistence.rs`` and its older ``src/postgres_storage.rs``): bcrypt ``$2b$12$``
passwords, lower-case tiers, adapter types as ``IpfsIpfs`` and ``Custom("x")``, item statuses
``MergedInto:X`` and ``MergedInto("X")``, notification types stored as quoted JSON strings,
circuits owned by and counting members who are no user, LID mappings without their ``LID-``
item, items without a creator. ``migrate --fake-initial`` then runs, and every row is read
back through the API and the admin in another process; nothing may be lost or hidden.
"""

import json
import sys
import uuid
from pathlib import Path

import bcrypt
import psycopg
import pytest

from tests.foundation.test_v1_adoption import _run, v1_database  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[2]
DDL = Path(__file__).with_name("V1__initial_schema.sql")

ADMIN = "hen-admin-001"
FARMER = "user-3f0a8c1e-5b7d-4c2a-9e61-0d4b8f2a7c10"
ENTERPRISE = "user-8d2e4b6a-1c3f-4e5d-a7b9-c0d1e2f3a4b5"
GONE = "user-5e9b1d7f-0000-4000-8000-000000000001"  # owner of C2, not a user (deleted)
GHOST = "user-5e9b1d7f-0000-4000-8000-000000000002"  # member of C2, not a user
PASSWORD = "Farmer-pass1!"

I1 = "DFID-20240926-000001-2488"
I2 = "DFID-20240926-000002-7731"
I3 = "DFID-20240926-000003-1164"
I4 = "DFID-20240926-000004-5502"
I5 = "DFID-20240926-000005-9017"
C1 = "0b8f6d3e-2a41-4c5e-9f70-1d2c3b4a5e61"
C2 = "1c9a7e4f-3b52-4d6f-8a81-2e3d4c5b6f72"
C3 = "2dab8f50-4c63-4e70-9b92-3f4e5d6c7a83"
L1 = "7e0c3a9b-6f85-4a92-8bb4-5a6b7c8d9e05"
NOW = 1_727_000_000


def _bcrypt(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(12)).decode()  # engine: DEFAULT_COST


def _engine_rows() -> list[tuple[str, list]]:
    farmer_hash = _bcrypt(PASSWORD)
    other_hash = _bcrypt("Other-pass1!")
    permissions = json.dumps(
        {
            "require_approval_for_push": False,
            "require_approval_for_pull": False,
            "allow_public_visibility": False,
        }
    )
    adapter_config = json.dumps(
        {
            "circuit_id": C1,
            "adapter_type": "ipfs-ipfs",
            "configured_by": FARMER,
            "configured_at": "2024-09-26T10:00:00Z",
            "requires_approval": False,
            "auto_migrate_existing": False,
            "sponsor_adapter_access": False,
        }
    )
    ipfs = json.dumps({"IPFS": {"cid": "bafkreigh2akiscaildc", "pinned": True}})
    stellar = json.dumps(
        {"Stellar": {"transaction_id": "ab12", "contract_address": "CA7Q", "asset_id": "1"}}
    )
    user = (
        "INSERT INTO user_accounts (user_id, username, email, password_hash, tier, status,"
        " is_admin, workspace_id, created_at_ts, last_login_ts, available_adapters)"
        " VALUES (%s, %s, %s, %s, %s, 'Active', %s, %s, %s, NULL, %s)"
    )
    item = (
        "INSERT INTO items (dfid, item_hash, status, created_at_ts, last_updated_ts,"
        " enriched_data) VALUES (%s, %s, %s, %s, %s, %s)"
    )
    circuit = (
        "INSERT INTO circuits (circuit_id, name, description, owner_id, status, created_at_ts,"
        " last_modified_ts, permissions, adapter_config) VALUES (%s, %s, '', %s, 'Active', %s,"
        " %s, %s, %s)"
    )
    member = (
        "INSERT INTO circuit_members (circuit_id, member_id, role, permissions, joined_at_ts)"
        " VALUES (%s, %s, %s, %s, %s)"
    )
    held = (
        "INSERT INTO circuit_items (circuit_id, dfid, added_at_ts, added_by)"
        " VALUES (%s, %s, %s, %s)"
    )
    history = (
        "INSERT INTO storage_history (dfid, adapter_type, storage_location, stored_at_ts,"
        " triggered_by, triggered_by_id, is_active, metadata) VALUES (%s, %s, %s, %s, %s, %s,"
        " %s, %s)"
    )
    notification = (
        "INSERT INTO notifications (notification_id, user_id, notification_type, title, message,"
        " is_read, created_at_ts, data) VALUES (%s, %s, %s, %s, %s, false, %s, %s)"
    )
    all_permissions = [
        "Push",
        "Pull",
        "Invite",
        "ManageMembers",
        "ManagePermissions",
        "Delete",
        "Certify",
        "Audit",
        "ManageRoles",
    ]
    hash64 = "a" * 64
    farmer_adapters = ["ipfs-ipfs"]
    agro_adapters = ["IpfsIpfs", "StellarMainnetIpfs", 'Custom("farm")']
    return [
        # Users: tier as UserTier::as_str() (lower case); adapters as Display (kebab) by the
        # current persistence and as Debug (IpfsIpfs, Custom("farm")) by the older storage.
        (
            user,
            [
                ADMIN,
                "hen",
                "hen@defarm.io",
                other_hash,
                "admin",
                True,
                "hen-workspace",
                NOW,
                ["ipfs-ipfs", "stellar_testnet-ipfs", "stellar_mainnet-ipfs"],
            ],
        ),
        (
            user,
            [
                FARMER,
                "farmer",
                "farmer@example.com",
                farmer_hash,
                "basic",
                False,
                None,
                NOW,
                farmer_adapters,
            ],
        ),
        (
            user,
            [
                ENTERPRISE,
                "agro",
                "agro@example.com",
                other_hash,
                "enterprise",
                False,
                None,
                NOW,
                agro_adapters,
            ],
        ),
        *[
            (
                "INSERT INTO credit_balances (user_id, credits, updated_at_ts) VALUES (%s, %s, %s)",
                [user_id, credits, NOW],
            )
            for user_id, credits in ((ADMIN, 100000), (FARMER, 50), (ENTERPRISE, 7000))
        ],
        # Items: no creator column in V1.
        (item, [I1, hash64, "Active", NOW, NOW, json.dumps({"breed": "Nelore"})]),
        (item, [I2, hash64, f"MergedInto:{I1}", NOW + 1, NOW + 1, None]),
        (item, [I3, hash64, f'MergedInto("{I1}")', NOW + 2, NOW + 2, None]),
        (item, [I4, hash64, "Deprecated", NOW + 3, NOW + 3, None]),
        (item, [I5, hash64, "Active", NOW + 4, NOW + 4, None]),
        (
            "INSERT INTO item_identifiers (dfid, key, value) VALUES (%s, 'sisbov', %s)",
            [I1, "BR123456789012"],
        ),
        # A LID mapping whose LID- item was never stored.
        ("INSERT INTO lid_dfid_mappings (local_id, dfid) VALUES (%s, %s)", [L1, I1]),
        (
            "INSERT INTO events (event_id, event_type, dfid, timestamp, visibility, metadata)"
            " VALUES (%s, 'Created', %s, %s, 'Public', '{}')",
            [str(uuid.uuid4()), I1, NOW],
        ),
        # Circuits: C2's owner and one member are no user.
        (circuit, [C1, "Farm circuit", FARMER, NOW, NOW, permissions, adapter_config]),
        (circuit, [C2, "Orphan circuit", GONE, NOW, NOW, permissions, None]),
        (circuit, [C3, "Agro circuit", ENTERPRISE, NOW, NOW, permissions, None]),
        (member, [C1, FARMER, "Owner", all_permissions, NOW]),
        (member, [C2, GONE, "Owner", all_permissions, NOW]),
        (member, [C2, FARMER, "Member", ["Push", "Pull"], NOW]),
        (member, [C2, GHOST, "Viewer", ["Pull"], NOW]),
        (member, [C3, ENTERPRISE, "Owner", all_permissions, NOW]),
        (held, [C1, I1, NOW, FARMER]),
        (held, [C1, I2, NOW, FARMER]),
        (held, [C2, I3, NOW, GHOST]),
        (held, [C3, I5, NOW, FARMER]),  # the farmer pushed I5 into a circuit they are not in
        (
            "INSERT INTO circuit_operations (operation_id, circuit_id, operation_type,"
            " requester_id, status, created_at_ts) VALUES (%s, %s, 'Push', %s, 'Completed', %s)",
            [str(uuid.uuid4()), C1, FARMER, NOW],
        ),
        (
            "INSERT INTO activities (activity_id, activity_type, circuit_id, circuit_name, dfids,"
            " performed_by, status, details, timestamp_ts) VALUES (%s, 'Push', %s, 'Farm circuit',"
            " %s, %s, 'Success', '{}', %s)",
            [str(uuid.uuid4()), C1, [I1], FARMER, NOW],
        ),
        # Storage history in both adapter spellings.
        (history, [I1, "IpfsIpfs", ipfs, NOW, "circuit_push", C1, False, "{}"]),
        (history, [I1, "ipfs-ipfs", ipfs, NOW + 10, "circuit_push", C1, True, "{}"]),
        (history, [I3, "StellarTestnetIpfs", stellar, NOW, "circuit_migration", C2, True, None]),
        (
            "INSERT INTO adapter_configs (config_id, name, adapter_type, connection_details,"
            " is_active, is_default, created_by, created_at_ts, updated_at_ts)"
            " VALUES (%s, %s, %s, '{}', true, %s, %s, %s, %s)",
            [str(uuid.uuid4()), "IPFS node", "IpfsIpfs", True, ADMIN, NOW, NOW],
        ),
        (
            "INSERT INTO adapter_configs (config_id, name, adapter_type, connection_details,"
            " is_active, is_default, created_by, created_at_ts, updated_at_ts)"
            " VALUES (%s, %s, %s, '{}', true, false, %s, %s, %s)",
            [str(uuid.uuid4()), "Farm node", 'Custom("farm")', ADMIN, NOW, NOW],
        ),
        # Notification types as serde_json::to_string wrote them: quoted.
        (
            notification,
            [str(uuid.uuid4()), FARMER, '"JoinRequestReceived"', "Join", "m", NOW, "{}"],
        ),
        (
            notification,
            [str(uuid.uuid4()), FARMER, '"CircuitItemApproved"', "Ok", "m", NOW + 1, "{}"],
        ),
    ]


READ_BACK = r"""
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import jwt_issue
from defarm.admin_site import DEFARM_APP_LABELS

expected = json.loads(sys.argv[1])
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def body_of(response):
    try:
        return response.json()
    except Exception:
        return None


def api_for(user_id):
    client = APIClient()
    token, _ = jwt_issue(user=User.objects.get(pk=user_id))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def get(client, path):
    response = client.get(path)
    check(response.status_code == 200, f"GET {path}: {response.status_code} {body_of(response)}")
    return body_of(response)


def records(body):
    # The rows of a list answer, whatever envelope it came in.
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("data", "results", "items", "circuits", "notifications", "users", "records"):
            if isinstance(body.get(key), list):
                return body[key]
            if isinstance(body.get(key), dict):
                inner = records(body[key])
                if inner:
                    return inner
    return []


def text(body):
    return json.dumps(body)


# --- bcrypt password of the engine logs in through the API -------------------------------
login = APIClient().post(
    "/api/auth/login", {"username": "farmer", "password": expected["password"]}, format="json"
)
check(login.status_code == 200, f"login with the engine's bcrypt hash: {login.status_code}")

# --- tiers, adapters, credits -------------------------------------------------------------
tiers = dict(User.objects.values_list("user_id", "tier"))
check(tiers == expected["tiers"], f"tiers read {tiers}")
farmer = api_for(expected["farmer"])
me = get(farmer, "/users/me/profile")
check('"Basic"' in text(me), f"/users/me/profile tier: {me}")
agro_adapters = get(api_for(expected["enterprise"]), "/api/adapters")
for adapter in ("ipfs-ipfs", "stellar_mainnet-ipfs", "custom-farm"):
    check(adapter in text(agro_adapters), f"enterprise adapters lack {adapter}: {agro_adapters}")
check("IpfsIpfs" not in text(agro_adapters), f"engine spelling answered: {agro_adapters}")

# --- items: tied to the farmer through circuits and what they pushed -------------------------
listed = text(get(farmer, "/api/items?limit=1000"))
for dfid in expected["farmer_items"]:
    check(dfid in listed, f"farmer's item list lacks {dfid}")
    get(farmer, f"/api/items/{dfid}")
check(expected["unreachable_item"] not in listed, "an item nobody is tied to was listed")
statuses = {
    dfid: (get(farmer, f"/api/items/{dfid}") or {}).get("status")
    for dfid in expected["merged_items"]
}
check(len(set(statuses.values())) == 1, f"MergedInto spellings answered differently: {statuses}")
staff = api_for(expected["admin"])
staff_listed = text(get(staff, "/api/items?limit=1000"))
for dfid in expected["all_items"]:
    check(dfid in staff_listed, f"staff item list lacks {dfid}")
    get(staff, f"/api/items/{dfid}")

mapping = get(farmer, f"/api/items/mapping/{expected['local_id']}")
check(expected["mapped_dfid"] in text(mapping), f"LID mapping answered {mapping}")

# --- circuits owned by and holding members who are no user ---------------------------------
circuits = text(get(farmer, "/api/circuits?limit=1000"))
for circuit_id in expected["farmer_circuits"]:
    check(circuit_id in circuits, f"farmer's circuit list lacks {circuit_id}")
orphan = get(farmer, f"/api/circuits/{expected['orphan_circuit']}")
for member_id in expected["orphan_members"]:
    check(member_id in text(orphan), f"orphan circuit's answer lacks member {member_id}")
staff_circuits = text(get(staff, "/api/circuits?limit=1000&include_public=true"))
get(staff, f"/api/circuits/{expected['orphan_circuit']}")
for circuit_id in expected["all_circuits"]:
    get(staff, f"/api/circuits/{circuit_id}")

# --- storage history and adapter configs in both spellings ---------------------------------
history = get(farmer, f"/api/storage-history/{expected['history_item']}")
check(text(history).count("ipfs-ipfs") >= 2, f"storage history: {history}")
check("IpfsIpfs" not in text(history), f"engine spelling answered: {history}")
configs = get(staff, "/api/admin/adapters")
check("custom-farm" in text(configs) and "ipfs-ipfs" in text(configs), f"configs: {configs}")

# --- notifications -------------------------------------------------------------------------
notifications = text(get(farmer, "/api/notifications"))
for kind in ("JoinRequestReceived", "CircuitItemApproved"):
    check(f'"{kind}"' in notifications, f"notification type {kind} not read: {notifications}")
check('\\"' not in notifications, f"quoted notification types answered: {notifications}")

# --- the admin: every V1 row on its changelist, every change page opens ---------------------
browser = Client()
browser.force_login(User.objects.get(pk=expected["admin"]))
for label in DEFARM_APP_LABELS:
    for model in apps.get_app_config(label).get_models():
        opts = model._meta
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT "{opts.pk.column}" FROM "{opts.db_table}"')
            stored = {str(row[0]) for row in cursor.fetchall()}
        if not stored:
            continue
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = browser.get(url, {"all": ""})
        if response.status_code != 200:
            problems.append(f"admin {url}: {response.status_code}")
            continue
        shown = {str(row.pk) for row in response.context["cl"].result_list}
        check(stored <= shown, f"admin {url} hides {sorted(stored - shown)}")
        for pk in sorted(stored)[:20]:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
            status = browser.get(change).status_code
            check(status == 200, f"admin {change}: {status}")

print(json.dumps({"problems": problems}))
"""


def test_rows_the_engine_wrote_are_all_read_back(v1_database):  # noqa: F811
    with psycopg.connect(v1_database, autocommit=True) as conn:
        conn.execute(DDL.read_text())
        for statement, params in _engine_rows():
            conn.execute(statement, params)
        before = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "user_accounts",
                "items",
                "circuits",
                "circuit_members",
                "storage_history",
                "notifications",
            )
        }
        tier_rows = dict(conn.execute("SELECT user_id, tier FROM user_accounts").fetchall())

    migrate = _run(
        [sys.executable, "manage.py", "migrate", "--fake-initial", "--noinput"], v1_database
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    with psycopg.connect(v1_database, autocommit=True) as conn:
        after = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in before
        }
        # Migrating rewrites no V1 spelling: the engine may still read these rows.
        assert dict(conn.execute("SELECT user_id, tier FROM user_accounts").fetchall()) == (
            tier_rows
        )
    assert after == before

    expected = {
        "password": PASSWORD,
        "admin": ADMIN,
        "farmer": FARMER,
        "enterprise": ENTERPRISE,
        "tiers": {ADMIN: "Admin", FARMER: "Basic", ENTERPRISE: "Enterprise"},
        "farmer_items": [I1, I2, I3, I5],
        "merged_items": [I2, I3],
        "unreachable_item": I4,
        "all_items": [I1, I2, I3, I4, I5],
        "local_id": L1,
        "mapped_dfid": I1,
        "farmer_circuits": [C1, C2],
        "all_circuits": [C1, C2, C3],
        "orphan_circuit": C2,
        "orphan_members": [GONE, FARMER, GHOST],
        "history_item": I1,
    }
    read = _run(
        [sys.executable, "-c", READ_BACK, json.dumps(expected)],
        v1_database,
        ALLOWED_HOSTS="testserver,localhost",
    )
    assert read.returncode == 0, read.stdout[-4000:] + read.stderr[-4000:]
    problems = json.loads(read.stdout.strip().splitlines()[-1])["problems"]
    assert not problems, "\n".join(problems)
