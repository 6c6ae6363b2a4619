"""EPC URNs and GS1 Digital Link URIs, both ways."""

import pytest

from items.epcis.identifiers import (
    IdentifierError,
    canonical_identifier,
    check_digit,
    dl_to_urn,
    urn_to_dl,
)

# (EPC URN, Digital Link, GS1 Company Prefix length)
PAIRS = [
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017", 7),
    ("urn:epc:id:sgtin:9521141.001234.A%2FB", "https://id.gs1.org/01/09521141012345/21/A%2FB", 7),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908", 7),
    ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234", 7),
    ("urn:epc:id:sgln:4012345.00001.0", "https://id.gs1.org/414/4012345000016", 7),
    ("urn:epc:id:grai:4012345.55555.987", "https://id.gs1.org/8003/04012345555554987", 7),
    ("urn:epc:id:giai:4000001.12345", "https://id.gs1.org/8004/400000112345", 7),
    (
        "urn:epc:class:lgtin:4012345.012345.998877",
        "https://id.gs1.org/01/04012345123456/10/998877",
        7,
    ),
    ("urn:epc:id:sgtin:952114112.0123.X1", "https://id.gs1.org/01/09521141121238/21/X1", 9),
]


@pytest.mark.parametrize(("urn", "link", "length"), PAIRS)
def test_urn_to_digital_link(urn, link, length):
    assert urn_to_dl(urn) == link


@pytest.mark.parametrize(("urn", "link", "length"), PAIRS)
def test_digital_link_to_urn(urn, link, length):
    assert dl_to_urn(link, company_prefix_length=length) == urn


def test_digital_link_on_another_host_reads_the_same():
    assert (
        canonical_identifier("https://id.gs1.de/01/04012345999990/21/XYZ-1234")
        == "https://id.gs1.org/01/04012345999990/21/XYZ-1234"
    )
    assert canonical_identifier("https://example.com/shop/01/9521141012345/21/7") == (
        "https://id.gs1.org/01/09521141012345/21/7"
    )


def test_other_identifiers_stay_as_given():
    assert canonical_identifier("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6") == (
        "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    )
    assert canonical_identifier("https://example.com/things/42") == "https://example.com/things/42"


def test_check_digit():
    assert check_digit("0952114101234") == "5"
    assert check_digit("10614141234567890") == "8"


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:sgtin:0614141.10734.2017",  # 12 digits, not 13
        "urn:epc:id:sgtin:06141.1073466.2017",  # prefix too short
        "urn:epc:id:foo:0614141.107346.2017",
        "urn:epc:id:sscc:0614141.12345",
    ],
)
def test_malformed_urns_are_refused(urn):
    with pytest.raises(IdentifierError):
        urn_to_dl(urn)


def test_wrong_check_digit_in_a_digital_link_is_refused():
    with pytest.raises(IdentifierError):
        dl_to_urn("https://id.gs1.org/01/09521141012346/21/2017", company_prefix_length=7)


def test_urn_needs_the_company_prefix_length():
    with pytest.raises(IdentifierError):
        dl_to_urn("https://id.gs1.org/01/09521141012345/21/2017", company_prefix_length=3)


def test_escaping_skips_quote_only_where_quote_changes_nothing():
    from urllib.parse import quote

    from items.epcis.identifiers import _UNRESERVED, _dl_escape, _urn_escape

    values = [chr(code) for code in range(300)] + ["ab-12.x", "a b", "a/b", "a%2Fb", "~!'()*+,:;="]
    for value in values:
        assert _dl_escape(value) == quote(value, safe=_UNRESERVED), repr(value)
        assert _urn_escape(value) == quote(value, safe=_UNRESERVED), repr(value)


def test_check_digit_is_the_weighted_sum_from_the_right():
    import random

    def weighted(digits: str) -> str:
        total = sum(
            int(char) * (3 if position % 2 == 0 else 1)
            for position, char in enumerate(reversed(digits))
        )
        return str((10 - total % 10) % 10)

    generator = random.Random(20261130)
    for length in range(18):
        for _ in range(50):
            digits = "".join(generator.choice("0123456789") for _ in range(length))
            assert check_digit(digits) == weighted(digits)


@pytest.mark.parametrize(
    "uri",
    [
        "https://id.gs1.org/01/09521141012345/21/2017",
        "https://id.gs1.org/01/09521141012345/21/a-1_B.c~!'()*+,:;=",
        "https://id.gs1.org/01/04012345123456/10/998877",
        "https://id.gs1.org/01/09521141012346/21/2017",  # wrong check digit
        "https://id.gs1.org/01/0952114101234/21/2017",  # 13 digits
        "https://id.gs1.org/01/09521141012345/21/A%2FB",
        "https://id.gs1.org/01/09521141012345/22/1",
        "https://id.gs1.org/01/09521141012345/21/",
    ],
)
def test_a_canonical_digital_link_reads_as_any_digital_link(uri):
    """The plain SGTIN/LGTIN form is read without splitting the URI; the key, or the error,
    is the one the general reader gives (a leading space sends it the general way)."""
    from items.epcis.identifiers import dl_parse

    def read(value: str):
        try:
            return dl_parse(value)
        except IdentifierError as error:
            return ("error", str(error).replace(repr(value), "URI"))

    assert read(uri) == read(" " + uri)
