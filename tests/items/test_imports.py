"""CSV import of items: the header convention, line-numbered row errors, chunks written whole,
a stop naming the first line not imported, the API route and the management command."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CreditBalance, CreditTransaction, TransactionType
from accounts.services.credits import credits_add
from items.models import ConflictResolution, Event, IdentifierMapping, Item, ItemIdentifier
from items.services import items_import_csv
from tests.items.factories import canonical, item_for, sisbov

pytestmark = pytest.mark.django_db


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def grant(user, amount=10_000):
    credits_add(user=user, amount=amount, transaction_type=TransactionType.GRANT, description="t")


def post_csv(client, content: bytes):
    return client.post("/api/items/import", content, content_type="text/csv")


def test_rows_become_items_with_identifiers_and_typed_data(auth_client, user):
    grant(user)
    tags = [sisbov(), sisbov()]
    content = csv_bytes(
        "canonical:bovino:sisbov,id:lot,namespace,data:breed,json:weight_kg,json:vaccinated",
        f"{tags[0]},L-8,bovino,Nelore,452,true",
        f"{tags[1]},,bovino,Angus,431.5,",
    )
    response = post_csv(auth_client, content)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "rows": 2,
        "created": 2,
        "enriched": 0,
        "conflicts": 0,
        "invalid": 0,
        "errors": [],
        "errors_truncated": False,
    }
    first = Item.objects.get(identifiers__value=tags[0])
    assert first.enriched_data == {"breed": "Nelore", "weight_kg": 452, "vaccinated": True}
    assert first.created_by == user
    assert sorted(first.identifiers.values_list("namespace", "key", "value", "id_type")) == [
        ("bovino", "lot", "L-8", "Contextual"),
        ("bovino", "sisbov", tags[0], "Canonical"),
    ]
    second = Item.objects.get(identifiers__value=tags[1])
    assert second.enriched_data == {"breed": "Angus", "weight_kg": 431.5}
    assert second.identifiers.count() == 1  # the empty lot cell adds nothing
    assert Event.objects.filter(event_type="Created", metadata__source="csv").count() == 2


def test_a_multipart_upload_imports_the_same_way(auth_client, user):
    grant(user)
    upload = SimpleUploadedFile(
        "herd.csv", csv_bytes("canonical:bovino:sisbov", sisbov()), content_type="text/csv"
    )
    response = auth_client.post("/api/items/import", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    assert Item.objects.count() == 1


def test_failed_rows_are_reported_with_their_lines_and_write_nothing(auth_client, user):
    grant(user)
    taken_a, taken_b = canonical(), canonical(f"RFID{sisbov()}", key="rfid")
    first, second = item_for(user, taken_a), item_for(user, taken_b)
    good = sisbov()
    content = csv_bytes(
        "canonical:bovino:sisbov,canonical:bovino:rfid,id:lot,json:weight_kg",
        f"{good},,L-1,300",  # line 2: created
        "BR1,,L-1,300",  # line 3: not a SISBOV number
        f'{sisbov()},,"lot spanning',  # lines 4-5: one row, a quoted cell over two lines
        'two lines",310',
        f"{sisbov()},,L-1,heavy",  # line 6: not JSON
        f"{taken_a['value']},{taken_b['value']},L-1,1",  # line 7: two items: a conflict
        ",,,",  # line 8: empty, skipped
        ",,,5",  # line 9: no identifier
        f"{sisbov()},,L-1",  # line 10: a cell short
        f"{good},,L-1,301",  # line 11: enriches the item of line 2
    )
    before = Item.objects.count()
    report = post_csv(auth_client, content).json()
    assert (report["rows"], report["created"], report["enriched"]) == (8, 2, 1)
    assert (report["conflicts"], report["invalid"]) == (1, 4)
    errors = {error["line"]: error for error in report["errors"]}
    assert sorted(errors) == [3, 6, 7, 9, 10]
    assert "sisbov=BR1" in errors[3]["error"]
    assert "json:weight_kg" in errors[6]["error"]
    assert errors[7]["status"] == "conflict"
    assert sorted(errors[7]["conflicting_dfids"]) == sorted([first.dfid, second.dfid])
    assert ConflictResolution.objects.filter(conflict_id=errors[7]["conflict_id"]).exists()
    assert "no identifier" in errors[9]["error"]
    assert "expected 4 cells, found 3" in errors[10]["error"]
    assert Item.objects.count() == before + 2
    spanning = ItemIdentifier.objects.get(key="lot", value="lot spanning\ntwo lines")
    assert spanning.item.enriched_data == {"weight_kg": 310}
    assert Item.objects.get(identifiers__value=good).enriched_data == {"weight_kg": 301}
    assert not ItemIdentifier.objects.filter(value="BR1").exists()
    assert not IdentifierMapping.objects.filter(identifier_value="BR1").exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("lot,breed", "'lot' is not canonical:<key>"),
        ("data:breed", "no identifier column"),
        ("canonical:sisbov,canonical:sisbov", "appears twice"),
        ("canonical:pets:sisbov", "unknown namespace 'pets'"),
        ("canonical:sisbov,,data:x", "column 2 has no name"),
        ("", "the file is empty"),
    ],
)
def test_a_bad_header_is_a_400_and_writes_nothing(auth_client, header, message):
    content = (header + "\n" + f"{sisbov()}\n").encode() if header else b""
    response = post_csv(auth_client, content)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert message in body["message"]
    assert not Item.objects.exists()


def test_short_credits_stop_at_a_chunk_and_name_the_first_line_not_imported(user):
    balance = CreditBalance.objects.get(user=user).credits
    CreditBalance.objects.filter(user=user).update(credits=2 * 3)  # three Basic-tier items
    content = csv_bytes("canonical:bovino:sisbov", *[sisbov() for _ in range(5)])
    from defarm.api.exceptions import ApiError

    with pytest.raises(ApiError) as raised:
        items_import_csv(user=user, stream=io.BytesIO(content), chunk_size=2)
    error = raised.value
    assert error.status_code == 402 and error.error_code == "insufficient_credits"
    assert error.details["first_line_not_imported"] == 4
    assert error.details["imported"]["created"] == 2
    assert "line 4" in str(error.detail)
    assert Item.objects.count() == 2  # the first chunk, whole; nothing of the second
    assert CreditBalance.objects.get(user=user).credits == 2
    assert balance  # the factory's welcome credits were replaced above


def test_a_stop_answers_its_own_status_through_the_api(auth_client, user):
    CreditBalance.objects.filter(user=user).update(credits=0)
    response = post_csv(auth_client, csv_bytes("canonical:bovino:sisbov", sisbov()))
    assert response.status_code == 402
    assert response.json()["details"]["first_line_not_imported"] == 2
    assert not Item.objects.exists()


def test_a_file_that_stops_being_utf8_stops_with_its_line(auth_client, user):
    grant(user)
    content = csv_bytes("canonical:bovino:sisbov", sisbov(), sisbov()) + b"\xff\xfe\n"
    response = post_csv(auth_client, content)
    assert response.status_code == 400
    body = response.json()
    assert "not UTF-8" in body["message"]
    assert body["details"]["first_line_not_imported"] == 4
    assert body["details"]["imported"]["created"] == 2
    assert Item.objects.count() == 2


def test_a_utf8_bom_and_crlf_lines_are_read(user):
    grant(user)
    content = "\ufeffcanonical:bovino:sisbov,data:farm\r\n".encode() + (
        f"{sisbov()},Fazenda São João\r\n".encode()
    )
    report = items_import_csv(user=user, stream=io.BytesIO(content))
    assert report.created == 1 and not report.errors
    assert Item.objects.get().enriched_data == {"farm": "Fazenda São João"}


def test_queries_per_chunk_do_not_grow_with_rows(user):
    grant(user, 100_000)
    items_import_csv(
        user=user, stream=io.BytesIO(csv_bytes("canonical:bovino:sisbov", sisbov())), chunk_size=5
    )  # warm up

    def queries(rows: int, chunk_size: int) -> int:
        content = csv_bytes(
            "canonical:bovino:sisbov,id:lot,data:breed",
            *[f"{sisbov()},L-{n},Nelore" for n in range(rows)],
        )
        with CaptureQueriesContext(connection) as captured:
            report = items_import_csv(user=user, stream=io.BytesIO(content), chunk_size=chunk_size)
        assert report.created == rows and report.chunks == rows // chunk_size
        return len(captured)

    small, large = queries(20, 10), queries(400, 200)
    assert small == large  # two chunks each: the same queries whatever their size
    assert queries(60, 10) == 3 * small  # six chunks: three times as many


def test_anonymous_callers_get_401(api_client):
    response = api_client.post("/api/items/import", b"canonical:sisbov\n", content_type="text/csv")
    assert response.status_code == 401


def test_the_management_command_prints_counts_and_lines(tmp_path, user):
    grant(user)
    path = tmp_path / "herd.csv"
    path.write_bytes(csv_bytes("canonical:bovino:sisbov,id:lot", f"{sisbov()},L-1", "BR1,L-2"))
    out = io.StringIO()
    call_command("import_items_csv", str(path), "--user", user.username, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "rows=2 created=1 enriched=0 conflicts=0 invalid=1"
    assert lines[1].startswith("line 3: invalid: ") and "sisbov=BR1" in lines[1]
    out = io.StringIO()
    call_command("import_items_csv", str(path), "--user", user.email, "--json", stdout=out)
    assert json.loads(out.getvalue())["enriched"] == 1
    assert CreditTransaction.objects.filter(user=user, description="Item creation").count() == 1


def test_the_management_command_refuses_a_bad_header_and_an_unknown_user(tmp_path, user):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("lot", "L-1"))
    with pytest.raises(CommandError, match="'lot' is not canonical"):
        call_command("import_items_csv", str(path), "--user", user.username)
    with pytest.raises(CommandError, match="No user"):
        call_command("import_items_csv", str(path), "--user", "nobody-here")
    assert not Item.objects.exists()
