"""What a Terraform plan leaves unknown: ``after_unknown`` merged into the planned values
(UNTIL_APPLY), and which of those unknowns are the provider's to compute (COMPUTED: not
configured, the default applies) rather than values the configuration sets from something
known only at apply."""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.resources import COMPUTED, UNTIL_APPLY


def merge_unknown(values: Any, unknown: Any) -> Any:
    """Put UNTIL_APPLY wherever ``after_unknown`` says a value is only known after apply."""
    if unknown is True:
        return UNTIL_APPLY
    if isinstance(unknown, dict):
        base = dict(values) if isinstance(values, dict) else {}
        for k, u in unknown.items():
            base[k] = merge_unknown(base.get(k), u)
        return base
    if isinstance(unknown, list):
        base_l = list(values) if isinstance(values, list) else []
        base_l += [None] * (len(unknown) - len(base_l))
        return [merge_unknown(v, u) for v, u in zip(base_l, unknown, strict=False)]
    return values


def _is_expression(e: Any) -> bool:
    return isinstance(e, dict) and ("references" in e or "constant_value" in e)


# Blocks dsscan reads that the provider never computes: Terraform writes them into a planned
# ``after`` (``[]`` when not configured, as plans of hashicorp/aws 5.100 show), or the schema
# requires them. Unknown as a whole with no expression in the configuration, such a block can
# only be a ``dynamic`` block over values known at apply (the plan's configuration leaves
# dynamic blocks out): it stays unknown, never "not configured". (Blocks the provider does
# compute when absent — a bucket's inline server_side_encryption_configuration, a security
# group's ingress — look the same in a plan with and without a dynamic block: those take the
# default, documented in docs/terraform.md.)
NOT_COMPUTED: dict[str, frozenset[str]] = {
    "aws_dynamodb_table": frozenset({"replica"}),
    "aws_launch_template": frozenset({"block_device_mappings"}),
    "aws_opensearch_domain": frozenset({"vpc_options"}),
    "aws_elasticsearch_domain": frozenset({"vpc_options"}),
    "aws_s3_access_point": frozenset({"public_access_block_configuration",
                                      "vpc_configuration"}),
    "aws_backup_selection": frozenset({"selection_tag"}),
    # required blocks
    "aws_s3_bucket_server_side_encryption_configuration": frozenset({"rule"}),
    "aws_s3_bucket_replication_configuration": frozenset({"rule"}),
    "aws_s3_bucket_lifecycle_configuration": frozenset({"rule"}),
    "aws_s3_bucket_versioning": frozenset({"versioning_configuration"}),
    "aws_backup_plan": frozenset({"rule"}),
    # one of acl / access_control_policy is required: without ``acl`` the policy is set
    "aws_s3_bucket_acl": frozenset({"access_control_policy"}),
}


def mark_computed(values: Any, exprs: Any, dynamic: frozenset[str] = frozenset()) -> Any:
    """UNTIL_APPLY values the configuration does not set -> COMPUTED (the provider fills them
    in), recursing into nested blocks whose expressions are present. A block without
    expressions (a ``dynamic`` block has none) keeps its unknowns as they are, and so does a
    top-level block in ``dynamic`` (the provider never computes it): fail closed."""
    if not isinstance(values, dict) or not isinstance(exprs, dict) or _is_expression(exprs):
        return values
    out: dict[str, Any] = {}
    for k, v in values.items():
        e = exprs.get(k)
        if v is UNTIL_APPLY:
            out[k] = COMPUTED if e is None and k not in dynamic else v
        elif e is None or _is_expression(e):
            out[k] = v
        elif isinstance(v, dict):
            out[k] = mark_computed(v, e[0] if isinstance(e, list) and len(e) == 1 else e)
        elif isinstance(v, list) and isinstance(e, list) and len(e) == len(v):
            out[k] = [mark_computed(x, y) for x, y in zip(v, e, strict=True)]
        elif isinstance(v, list) and isinstance(e, dict):
            out[k] = [mark_computed(x, e) for x in v]
        else:
            out[k] = v
    return out
