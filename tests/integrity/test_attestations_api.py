"""Attestations on the engine's /api/proofs routes: signed (Ed25519) statements over salted
commitments, checked here with nothing but the public key."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from items.integrity.models import Attestation
from tests.items.factories import item_for

pytestmark = pytest.mark.django_db

SECRET_CODE = "very-secret-code-7731"


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def organic(expiry="2999-12-31", **extra):
    return {
        "circuit_type": "OrganicCertification",
        "circuit_input": {
            "certificate_id": "BR-BIO-0042",
            "certification_body": "IBD",
            "expiry_date": expiry,
        },
        "private_inputs": {"certificate_hash": "9f2c41d0", "verification_code": SECRET_CODE},
        **extra,
    }


def submit(client, body=None):
    response = client.post("/api/proofs/submit", body or organic(), format="json")
    assert response.status_code == 200, response.content
    return response.json()


def public_key(api_client) -> Ed25519PublicKey:
    answer = api_client.get("/.well-known/defarm-attestation-key")
    assert answer.status_code == 200
    body = answer.json()
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    pem = load_pem_public_key(body["public_key_pem"].encode())
    assert pem.public_bytes_raw() == key.public_bytes_raw()
    assert api_client.get("/api/public/attestation-key").json() == body
    return key


# --- submit and sign ------------------------------------------------------------------------


def test_submit_signs_a_statement_anyone_checks_with_the_public_key(auth_client, api_client, user):
    submitted = submit(auth_client)
    assert submitted["success"] is True
    assert submitted["message"] == "Proof submitted successfully"
    assert set(submitted["openings"]) == {"certificate_hash", "verification_code"}
    stored = auth_client.get(f"/api/proofs/{submitted['proof_id']}").json()["proof"]
    assert stored["circuit_type"] == "OrganicCertification"
    assert stored["status"] == "Pending"
    assert stored["user_id"] == user.pk
    assert stored["kind"] == "signed_attestation"
    statement, signature = stored["statement"], base64.b64decode(stored["proof_data"])
    assert statement["subject"] == user.pk
    assert statement["public_inputs"]["certificate_id"] == "BR-BIO-0042"
    assert statement["result"] is True

    key = public_key(api_client)
    key.verify(signature, canonical(statement))  # raises when it does not check
    tampered = dict(statement, public_inputs=dict(statement["public_inputs"], expiry_date="3000"))
    with pytest.raises(InvalidSignature):
        key.verify(signature, canonical(tampered))
    with pytest.raises(InvalidSignature):
        key.verify(signature, canonical(dict(statement, subject="someone-else")))


def test_private_inputs_are_stored_only_as_commitments_the_opening_opens(auth_client):
    submitted = submit(auth_client)
    row = Attestation.objects.get(pk=submitted["proof_id"])
    everything = json.dumps(
        {f.name: str(getattr(row, f.attname)) for f in Attestation._meta.concrete_fields}
    )
    assert SECRET_CODE not in everything and "9f2c41d0" not in everything
    for salt in submitted["openings"].values():
        assert salt not in everything
    commitment = row.statement["commitments"]["verification_code"]
    salt = bytes.fromhex(submitted["openings"]["verification_code"])
    assert hashlib.sha256(salt + canonical(SECRET_CODE)).hexdigest() == commitment
    assert hashlib.sha256(salt + canonical("a guess")).hexdigest() != commitment
    # the openings are never answered again
    again = auth_client.get(f"/api/proofs/{submitted['proof_id']}").json()
    assert "openings" not in json.dumps(again)


def test_claims_whose_predicate_fails_are_refused_and_nothing_is_stored(auth_client, user):
    expired = auth_client.post("/api/proofs/submit", organic(expiry="2001-01-01"), format="json")
    assert expired.status_code == 400
    assert expired.json()["error"] == "claim_not_satisfied"

    over_limit = {
        "circuit_type": "pesticide_threshold",
        "circuit_input": {"threshold_limits": {"glyphosate": 0.1}, "testing_date": "2026-01-10"},
        "private_inputs": {
            "test_results": {"glyphosate": 0.3},
            "raw_test_data": "lab sheet",
            "lab_signature": "sig",
        },
    }
    refused = auth_client.post("/api/proofs/submit", over_limit, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"] == "claim_not_satisfied"
    assert not Attestation.objects.exists()

    within = dict(
        over_limit,
        private_inputs=dict(over_limit["private_inputs"], test_results={"glyphosate": 0.05}),
    )
    accepted = submit(auth_client, within)
    statement = Attestation.objects.get(pk=accepted["proof_id"]).statement
    assert "test_results" in statement["commitments"]
    assert "0.05" not in json.dumps(statement)


@pytest.mark.parametrize(
    "body, code",
    [
        (dict(organic(), circuit_type={"Custom": "halal"}), "unsupported_claim_type"),
        (dict(organic(), circuit_type="Nope"), "unsupported_claim_type"),
        (dict(organic(), private_inputs={"certificate_hash": "x"}), "validation_error"),
        (dict(organic(), circuit_input={"certificate_id": "x"}), "validation_error"),
        (dict(organic(expiry="not a date")), "validation_error"),
        ({"circuit_type": "QualityGrade"}, "validation_error"),
    ],
)
def test_bad_submissions_are_400(auth_client, body, code):
    response = auth_client.post("/api/proofs/submit", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == code
    assert not Attestation.objects.exists()


def test_ownership_of_another_users_item_is_not_attested(auth_client, user, other_user):
    body = {
        "circuit_type": "ownership_proof",
        "circuit_input": {"ownership_date": "2024-01-01", "jurisdiction": "BR-MT"},
        "private_inputs": {"title_deed_hash": "abc", "registration_number": "123"},
    }
    theirs = item_for(other_user)
    body["circuit_input"]["asset_id"] = theirs.dfid
    refused = auth_client.post("/api/proofs/submit", body, format="json")
    assert refused.status_code == 400 and refused.json()["error"] == "claim_not_satisfied"
    body["circuit_input"]["asset_id"] = item_for(user).dfid
    submit(auth_client, body)


def test_freshness_expires(auth_client):
    harvest = (timezone.now() - timedelta(days=1)).date().isoformat()
    body = {
        "circuit_type": "TimestampFreshness",
        "circuit_input": {
            "harvest_date": harvest,
            "location": "Sorriso-MT",
            "product_type": "soy",
            "max_age_days": 3,
        },
        "private_inputs": {"timestamp_signature": "s", "gps_coordinates": [-12.5, -55.7]},
    }
    submitted = submit(auth_client, body)
    row = Attestation.objects.get(pk=submitted["proof_id"])
    assert row.valid_until is not None
    stale = dict(body, circuit_input=dict(body["circuit_input"], max_age_days=0.5))
    assert auth_client.post("/api/proofs/submit", stale, format="json").status_code == 400

    Attestation.objects.filter(pk=row.pk).update(valid_until=timezone.now() - timedelta(hours=1))
    assert auth_client.get(f"/api/proofs/{row.pk}").json()["proof"]["status"] == "Expired"
    listed = auth_client.get("/api/proofs", {"status": "expired"}).json()
    assert [p["proof_id"] for p in listed["proofs"]] == [str(row.pk)]
    assert auth_client.get("/api/proofs", {"status": "pending"}).json()["count"] == 0
    verdict = auth_client.post("/api/proofs/verify", {"proof_id": str(row.pk)}, format="json")
    assert verdict.json()["verification_result"]["is_valid"] is False
    assert verdict.json()["verification_result"]["metadata"]["expired"] is True


# --- verify -----------------------------------------------------------------------------------


def test_verify_records_verified_and_checks_openings(auth_client, user):
    submitted = submit(auth_client)
    proof_id = submitted["proof_id"]
    answer = auth_client.post("/api/proofs/verify", {"proof_id": proof_id}, format="json")
    assert answer.status_code == 200, answer.content
    result = answer.json()["verification_result"]
    assert result["is_valid"] is True and result["confidence_score"] == 1.0
    assert result["verifier_id"] == user.pk
    assert auth_client.get(f"/api/proofs/{proof_id}").json()["proof"]["status"] == "Verified"

    salt = submitted["openings"]["verification_code"]
    right = {"verification_code": {"salt": salt, "value": SECRET_CODE}}
    wrong = {"verification_code": {"salt": salt, "value": "guess"}}
    opened = auth_client.post(
        "/api/proofs/verify", {"proof_id": proof_id, "openings": right}, format="json"
    ).json()["verification_result"]
    assert opened["is_valid"] is True
    assert opened["metadata"]["openings_valid"] == {"verification_code": True}
    refused = auth_client.post(
        "/api/proofs/verify", {"proof_id": proof_id, "openings": wrong}, format="json"
    ).json()["verification_result"]
    assert refused["is_valid"] is False
    assert refused["metadata"]["openings_valid"] == {"verification_code": False}


def test_verify_detects_an_altered_row_and_another_key(auth_client):
    proof_id = submit(auth_client)["proof_id"]
    other_key = base64.b64encode(bytes(range(32))).decode()
    foreign = auth_client.post(
        "/api/proofs/verify", {"proof_id": proof_id, "verification_key": other_key}, format="json"
    ).json()["verification_result"]
    assert foreign["is_valid"] is False
    assert Attestation.objects.get(pk=proof_id).status == "Pending"  # not recorded

    row = Attestation.objects.get(pk=proof_id)
    row.statement = dict(row.statement, claim="Something else entirely.")
    row.save()
    altered = auth_client.post("/api/proofs/verify", {"proof_id": proof_id}, format="json")
    assert altered.json()["verification_result"]["is_valid"] is False
    assert auth_client.get(f"/api/proofs/{proof_id}").json()["proof"]["status"] == "Failed"


# --- authorization ------------------------------------------------------------------------------


def test_routes_need_authentication(api_client):
    for method, path in [
        ("post", "/api/proofs/submit"),
        ("post", "/api/proofs/verify"),
        ("get", "/api/proofs"),
        ("get", "/api/proofs/statistics"),
        ("get", "/api/proofs/templates"),
        ("get", "/api/proofs/0b6f3c1e-6d2a-4b8e-9a51-2f1f0c9d7e41"),
        ("delete", "/api/proofs/0b6f3c1e-6d2a-4b8e-9a51-2f1f0c9d7e41"),
    ]:
        response = getattr(api_client, method)(path, {}, format="json")
        assert response.status_code == 401, path


def test_others_attestations_are_404_and_staff_sees_them(auth_client, other_client, staff_client):
    proof_id = submit(auth_client)["proof_id"]
    assert other_client.get(f"/api/proofs/{proof_id}").status_code == 404
    assert other_client.delete(f"/api/proofs/{proof_id}").status_code == 404
    verify = other_client.post("/api/proofs/verify", {"proof_id": proof_id}, format="json")
    assert verify.status_code == 404
    assert other_client.get("/api/proofs").json()["count"] == 0
    assert other_client.get("/api/proofs/not-a-uuid").status_code == 404
    assert staff_client.get(f"/api/proofs/{proof_id}").status_code == 200
    assert Attestation.objects.filter(pk=proof_id).exists()


def test_delete_removes_the_row(auth_client):
    proof_id = submit(auth_client)["proof_id"]
    response = auth_client.delete(f"/api/proofs/{proof_id}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Proof deleted successfully"}
    assert not Attestation.objects.filter(pk=proof_id).exists()
    assert auth_client.get(f"/api/proofs/{proof_id}").status_code == 404


# --- list, statistics, templates -------------------------------------------------------------


def test_list_filters_and_scoping(auth_client, other_client, staff_client, user, other_user):
    first = submit(auth_client)["proof_id"]
    grade = {
        "circuit_type": "QualityGrade",
        "circuit_input": {
            "grade_level": "A",
            "minimum_grade": "B",
            "assessment_date": "2026-01-02",
            "standards_version": "MAPA-2024",
        },
        "private_inputs": {"assessment_data": {"marbling": 4}, "inspector_signature": "s"},
    }
    second = submit(auth_client, grade)["proof_id"]
    submit(other_client)

    mine = auth_client.get("/api/proofs")
    assert mine.status_code == 200
    assert [p["proof_id"] for p in mine.json()["proofs"]] == [second, first]
    assert mine.json()["count"] == 2 and mine["X-Total-Count"] == "2"
    by_type = auth_client.get("/api/proofs", {"circuit_type": "quality_grade"}).json()
    assert [p["proof_id"] for p in by_type["proofs"]] == [second]
    assert auth_client.get("/api/proofs", {"circuit_type": "halal"}).json()["count"] == 0
    assert auth_client.get("/api/proofs", {"user_id": user.pk}).json()["count"] == 2
    assert auth_client.get("/api/proofs", {"user_id": other_user.pk}).status_code == 403
    assert auth_client.get("/api/proofs", {"status": "lost"}).status_code == 400
    assert auth_client.get("/api/proofs", {"colour": "red"}).status_code == 400
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert auth_client.get("/api/proofs", {"start_date": future}).json()["count"] == 0
    assert auth_client.get("/api/proofs", {"end_date": future}).json()["count"] == 2
    page = auth_client.get("/api/proofs", {"limit": 1})
    assert page.json()["count"] == 1 and 'rel="next"' in page["Link"]
    assert staff_client.get("/api/proofs").json()["count"] == 3
    assert staff_client.get("/api/proofs", {"user_id": other_user.pk}).json()["count"] == 1


def test_list_query_count_does_not_grow(auth_client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/proofs").status_code == 200
        return len(queries)

    submit(auth_client)
    few = count()
    for _ in range(5):
        submit(auth_client)
    assert count() == few


def test_statistics(auth_client, other_client):
    first = submit(auth_client)["proof_id"]
    submit(auth_client)
    submit(other_client)
    auth_client.post("/api/proofs/verify", {"proof_id": first}, format="json")
    stats = auth_client.get("/api/proofs/statistics").json()["statistics"]
    assert stats == {
        "total_proofs": 2,
        "pending_proofs": 1,
        "verified_proofs": 1,
        "failed_proofs": 0,
        "expired_proofs": 0,
        "proof_types": {"OrganicCertification": 2},
    }


def test_templates(auth_client):
    templates = auth_client.get("/api/proofs/templates").json()["templates"]
    assert set(templates) == {
        "organic_certification",
        "pesticide_threshold",
        "quality_grade",
        "ownership_proof",
        "timestamp_freshness",
    }
    assert templates["organic_certification"]["required_inputs"] == [
        "certificate_id",
        "certification_body",
        "expiry_date",
    ]
    assert all(template["predicate"] for template in templates.values())
