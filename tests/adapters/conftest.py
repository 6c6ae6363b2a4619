import pytest


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Every test stores in its own directory."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR
