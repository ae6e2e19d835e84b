"""Pulumi's wire format: the sentinels of unknown values, secrets, resource and output
references, the deployment schema versions dsscan reads, and what recorded fixtures hold.

Shared by the readers (``dsscan.scanners.pulumi_source``), the program runner
(``pulumi_project``) and the writers of recorded exports and previews (``pulumi_capture``).
"""

from __future__ import annotations

from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ROOT_STACK = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
DEPLOYMENT_VERSION = 3  # apitype.DeploymentSchemaVersionCurrent
MAX_DEPLOYMENT_VERSION = 4  # apitype.DeploymentSchemaVersionLatest: read, never written
# The features a version-4 deployment may list (pkg/resource/stack/deployment.go,
# supportedFeatures): none changes the fields dsscan reads, beyond the byte-string values
# (_decode) and views (resources like any other).
DEPLOYMENT_FEATURES = frozenset({
    "refreshBeforeUpdate", "views", "hooks", "taint", "replaceWith", "snippets-prototype",
    "extensionParameterization", "byteString"})
BYTES_SIG = "803fd3297a5875dc03ca845dda5d2a98"  # a string that is not UTF-8: base64 bytes
RECORD_TIME = "2026-01-15T09:00:00Z"  # recorded fixtures are byte-for-byte reproducible
SECRET_PLACEHOLDER = "dsscan-mocks-secret"  # the value a program sees for a `secure:` config
NOT_ENCRYPTED = "[recorded under mocks: not encrypted]"


# Small readers of URNs and values, used by every Pulumi module.

def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _urn_name(urn: str) -> str:
    parts = urn.split("::")
    return "::".join(parts[3:]) if len(parts) >= 4 else urn


def _provider_urn(ref: Any) -> str | None:
    """``urn:...::pulumi:providers:aws::name::<id>`` -> the provider's URN."""
    if not isinstance(ref, str) or "::" not in ref:
        return None
    return ref.rsplit("::", 1)[0]
