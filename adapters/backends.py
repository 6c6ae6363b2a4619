"""Storage backends: the ``StorageAdapter`` interface and its implementations.

Every backend takes bytes (or a JSON-able dict, written as canonical JSON) and returns a
location tagged by kind, as storage_history keeps it: ``{"Local": {"id": cid}}``,
``{"IPFS": {"cid": cid, "pinned": true}}``. ``retrieve`` reads the bytes back and checks
them against the content id.
"""

import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from rest_framework import status

from adapters.cid import cid_v1_raw, cid_v1_raw_matches
from defarm.api.exceptions import ApiError


class StorageFailed(ApiError):
    """The backend was reached (or should have been) and did not store or return the data."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "storage_failed"
    default_detail = "The storage backend did not store the data."


class ContentIntegrityFailed(StorageFailed):
    """The bytes a backend returned are not the ones their CID names."""

    default_code = "content_integrity_failed"
    default_detail = "The stored content does not match its CID."


class AdapterNotConfigured(ApiError):
    """The adapter type needs a connection that staff have not configured."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "adapter_not_configured"
    default_detail = "The storage adapter is not configured."


def canonical_json_bytes(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same value gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def _as_bytes(content: bytes | dict[str, Any]) -> bytes:
    return content if isinstance(content, bytes) else canonical_json_bytes(content)


class StorageAdapter(ABC):
    """Where item snapshots are written."""

    adapter_type: str

    @abstractmethod
    def store(self, content: bytes | dict[str, Any]) -> dict[str, Any]:
        """Write ``content``; return its location."""

    @abstractmethod
    def retrieve(self, location: dict[str, Any]) -> bytes:
        """Read back the bytes at ``location``; StorageFailed when missing or altered."""

    @abstractmethod
    def health_problem(self) -> str | None:
        """None when the backend can store now; otherwise what stops it."""


class LocalStorageAdapter(StorageAdapter):
    """Content-addressed files under ``root``, named by their CIDv1 (no network needed)."""

    adapter_type = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, cid: str) -> Path:
        return self.root / cid[-2:] / cid

    def health_problem(self) -> str | None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return f"The local store {self.root} cannot be created: {error}"
        if not os.access(self.root, os.W_OK):
            return f"The local store {self.root} is not writable."
        return None

    def store(self, content: bytes | dict[str, Any]) -> dict[str, Any]:
        data = _as_bytes(content)
        cid = cid_v1_raw(data)
        path = self.path_for(cid)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return {"Local": {"id": cid, "size": len(data)}}

    def retrieve(self, location: dict[str, Any]) -> bytes:
        cid = str((location.get("Local") or {}).get("id", ""))
        if not cid or "/" in cid or cid.startswith("."):
            raise StorageFailed("The location is not a local store id.")
        try:
            data = self.path_for(cid).read_bytes()
        except FileNotFoundError as error:
            raise StorageFailed(
                f"The local store has no content {cid}.", code="storage_not_found", status_code=404
            ) from error
        if not cid_v1_raw_matches(cid, data):
            raise ContentIntegrityFailed(f"The local content {cid} does not match its CID.")
        return data


# The largest chunk an IPFS node takes (Kubo and js-ipfs refuse larger chunkers). Content up to
# this size is added as one raw block, so its CID is the CIDv1 DeFarm computes (``cid_v1_raw``)
# and anyone holding the bytes can check them; larger content is chunked by the node into a
# UnixFS DAG whose CID only the node computes.
IPFS_MAX_SINGLE_BLOCK = 1_048_576


class IpfsStorageAdapter(StorageAdapter):
    """An IPFS node through the Kubo HTTP RPC (``/api/v0/add``, ``pin/add``, ``cat``).

    Content up to ``IPFS_MAX_SINGLE_BLOCK`` bytes is added as a single raw block (CIDv1, base32)
    and the node's CID must be the one DeFarm computes, else nothing is recorded."""

    adapter_type = "ipfs-ipfs"

    def __init__(self, endpoint: str, *, auth_token: str | None = None, timeout: float = 30):
        scheme = urllib.parse.urlsplit(endpoint).scheme
        if scheme not in {"http", "https"}:
            raise AdapterNotConfigured(f"The IPFS endpoint {endpoint!r} is not an http(s) URL.")
        self.endpoint = endpoint.rstrip("/")
        self.auth_token = auth_token
        self.timeout = timeout

    def _call(self, path: str, query: dict[str, str], body: bytes = b"", content_type=None):
        url = f"{self.endpoint}/api/v0/{path}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.auth_token:
            request.add_header("Authorization", f"Bearer {self.auth_token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            raise StorageFailed(
                f"The IPFS node answered {error.code} to {path}: {detail}"
            ) from error
        except (urllib.error.URLError, OSError) as error:
            raise StorageFailed(f"The IPFS node at {self.endpoint} did not answer: {error}") from (
                error
            )

    def health_problem(self) -> str | None:
        try:
            self._call("version", {})
        except StorageFailed as error:
            return str(error.detail)
        return None

    def store(self, content: bytes | dict[str, Any]) -> dict[str, Any]:
        data = _as_bytes(content)
        boundary = uuid.uuid4().hex
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="snapshot.json"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answer = self._call(
            "add",
            {
                "cid-version": "1",
                "raw-leaves": "true",
                "cid-base": "base32",
                "chunker": f"size-{IPFS_MAX_SINGLE_BLOCK}",
                "pin": "true",
            },
            body,
            f"multipart/form-data; boundary={boundary}",
        )
        try:
            lines = [line for line in answer.decode("utf-8").splitlines() if line.strip()]
            cid = json.loads(lines[-1])["Hash"]
        except (ValueError, KeyError, IndexError) as error:
            raise StorageFailed("The IPFS node's answer to add has no Hash.") from error
        if len(data) <= IPFS_MAX_SINGLE_BLOCK and cid != cid_v1_raw(data):
            raise StorageFailed(
                f"The IPFS node named the content {cid}, but its CIDv1 is {cid_v1_raw(data)}.",
                details={"node_cid": cid, "expected_cid": cid_v1_raw(data)},
            )
        self._call("pin/add", {"arg": cid})
        return {"IPFS": {"cid": cid, "pinned": True, "size": len(data)}}

    def retrieve(self, location: dict[str, Any]) -> bytes:
        cid = str((location.get("IPFS") or {}).get("cid", ""))
        if not cid:
            raise StorageFailed("The location is not an IPFS cid.")
        data = self._call("cat", {"arg": cid})
        if cid.startswith("bafkrei") and not cid_v1_raw_matches(cid, data):
            raise StorageFailed(f"The IPFS content {cid} does not match its id.")
        return data


class UnavailableStorageAdapter(StorageAdapter):
    """An adapter type this deployment cannot write to (e.g. a chain without a network)."""

    def __init__(self, adapter_type: str, reason: str, *, code: str | None = None):
        self.adapter_type = adapter_type
        self.reason = reason
        self.code = code or AdapterNotConfigured.default_code

    def health_problem(self) -> str | None:
        return self.reason

    def refusal(self) -> AdapterNotConfigured:
        return AdapterNotConfigured(
            self.reason, code=self.code, details={"adapter_type": self.adapter_type}
        )

    def store(self, content: bytes | dict[str, Any]) -> dict[str, Any]:
        raise self.refusal()

    def retrieve(self, location: dict[str, Any]) -> bytes:
        raise self.refusal()
