import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from items.integrity import signing


@pytest.fixture
def fresh_key():
    signing.signing_key.cache_clear()
    yield
    signing.signing_key.cache_clear()


def test_configured_seed_gives_its_key(settings, fresh_key):
    seed = bytes(range(32))
    settings.ATTESTATION_SIGNING_KEY = base64.b64encode(seed).decode()
    first = signing.public_key_base64()
    signing.signing_key.cache_clear()
    assert signing.public_key_base64() == first
    signature = signing.sign(b"statement")
    assert signing.signature_is_valid(
        public_key_b64=first, message=b"statement", signature_b64=signature
    )
    assert not signing.signature_is_valid(
        public_key_b64=first, message=b"statement!", signature_b64=signature
    )
    assert not signing.signature_is_valid(
        public_key_b64="not base64", message=b"statement", signature_b64=signature
    )


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_key_is_refused(settings, fresh_key, value):
    settings.ATTESTATION_SIGNING_KEY = value
    with pytest.raises(ImproperlyConfigured):
        signing.signing_key()


def test_development_key_is_kept_in_the_data_directory(settings, fresh_key, tmp_path):
    settings.ATTESTATION_SIGNING_KEY = ""
    settings.TESTING = False
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    first = signing.public_key_base64()
    assert (tmp_path / signing.DEVELOPMENT_KEY_FILE).stat().st_mode & 0o077 == 0
    signing.signing_key.cache_clear()
    assert signing.public_key_base64() == first


def test_production_without_a_key_refuses(settings, fresh_key):
    settings.ATTESTATION_SIGNING_KEY = ""
    settings.TESTING = False
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured):
        signing.signing_key()


def test_development_key_already_written_by_another_process_wins(settings, fresh_key, tmp_path):
    settings.ATTESTATION_SIGNING_KEY = ""
    settings.TESTING = False
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    seed = bytes(range(1, 33))
    (tmp_path / signing.DEVELOPMENT_KEY_FILE).write_text(base64.b64encode(seed).decode())
    settings.ATTESTATION_SIGNING_KEY = base64.b64encode(seed).decode()
    expected = signing.public_key_base64()
    signing.signing_key.cache_clear()
    settings.ATTESTATION_SIGNING_KEY = ""
    assert signing.public_key_base64() == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == [signing.DEVELOPMENT_KEY_FILE]
