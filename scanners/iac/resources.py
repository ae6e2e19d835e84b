"""The one shape every infrastructure-as-code reader produces: planned AWS resources.

Terraform plans and Pulumi (stack export, preview, a program under mocks) describe the same
cloud in different words. Each reader turns its input into :class:`IacResource` records in
Terraform's vocabulary — Terraform resource types (``aws_s3_bucket``) and snake_case
attribute names, nested blocks as written — and ``dsscan.scanners.iac.mapping`` turns those
records into inventory assets, once for both tools (pulumi-aws is generated from the
Terraform provider, so its types and properties are the same names in camelCase).

Values that are not known before apply, and secrets, are :class:`Unknown`: a fact that a
policy needs and that is unknown makes the asset "not assessed until apply", never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value the input does not tell: ``why`` is "until apply" (configured, but from values
    known only after apply), "computed" (not configured: the provider fills it in at apply) or
    "secret"."""

    why: str = "until apply"

    def __repr__(self) -> str:
        return f"<unknown {self.why}>"


UNTIL_APPLY = Unknown("until apply")
SECRET = Unknown("secret")
# Not set in the configuration, filled in by the provider at apply (e.g. the default KMS key
# of an encrypted RDS instance): unknown, but not something the user chose. The mapping reads
# it as "not configured" (the service's documented default applies), never as a choice that
# is merely unknown.
COMPUTED = Unknown("computed")


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def configured(value: Any) -> Any:
    """``value`` as the user configured it: None when not set (absent, or computed by the
    provider), else the value (Unknown when configured from something known after apply)."""
    return None if value is None or (isinstance(value, Unknown) and value.why == "computed") \
        else value


@dataclass(eq=False)  # identity: a resource is itself, and is hashable
class IacResource:
    """One planned resource, in Terraform's vocabulary."""

    address: str  # Terraform address or Pulumi URN: the asset id
    type: str  # Terraform resource type, e.g. aws_s3_bucket (Pulumi tokens translated)
    name: str  # Terraform resource name / Pulumi logical name
    values: dict[str, Any]  # attributes, snake_case; Unknown where not known
    # attribute -> addresses of the resources its value refers to (Terraform configuration
    # references, Pulumi property dependencies); where a value is unknown, this names it.
    refs: dict[str, list[str]] = field(default_factory=dict)
    region: str | None = None
    account: str | None = None
    action: str | None = None  # create, update, replace, delete, read, no-op; None: a state
    file: str | None = None  # the input file, or the program file declaring it (SARIF)
    line: int | None = None  # where in ``file`` it is declared, when known
    tool: str = "terraform"  # terraform | pulumi
    parent: str | None = None  # Pulumi parent URN / Terraform module address
    # Read, not managed here: a Terraform data source, a Pulumi read (``Resource.get``) or
    # invoke (``aws.kms.get_alias``). Never an asset; what it tells serves references.
    data: bool = False
    created: str | None = None  # when the stack created it (Pulumi exports), ISO 8601
    # The provider configuration it is managed through (Terraform provider config key such
    # as ``aws.security``, Pulumi provider URN): resources of one configuration are in one
    # account, even where the input does not name the account.
    provider: str | None = None
    # The attributes the configuration sets (Terraform expressions, Pulumi inputs); None when
    # the input does not say (a state). A value outside it is the provider's read-back.
    set_attrs: frozenset[str] | None = None
    # Imported (Pulumi ``importID``): a resource that existed before the stack took it over,
    # never "created new" (the defaults of new resources do not apply to it).
    imported: bool = False
    # False: what the configuration does not state is not in the input either (a resource
    # imported by a program run under mocks, or whose import a preview could not read): the
    # existing resource's settings, unknown — never the provider's defaults.
    unstated_known: bool = True

    def sets(self, attr: str) -> bool:
        """Whether the configuration sets ``attr`` (a value of a resource being created is
        set: the provider computes nothing it knows before apply, and a ``dynamic`` block has
        no expression in the plan's configuration)."""
        if self.set_attrs is None or attr in self.set_attrs:
            return True
        v = self.values.get(attr)
        return self.action in ("create", "replace") and v not in (None, [], {}, "") \
            and not isinstance(v, Unknown)


def snake(name: str) -> str:
    """camelCase -> snake_case, as pulumi-aws derives its names from Terraform's."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch.isupper():
            prev = name[i - 1] if i else ""
            nxt = name[i + 1] if i + 1 < len(name) else ""
            if i and (prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower())):
                out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def snake_keys(value: Any, keep: frozenset[str] = frozenset({"tags", "tags_all"})) -> Any:
    """Every mapping key in ``value`` to snake_case, except inside tag maps (user keys)."""
    if isinstance(value, dict):
        return {(k2 := snake(k)): (v if k2 in keep else snake_keys(v, keep))
                for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v, keep) for v in value]
    return value
