"""The institution's settings: tag keys, environments, account map, domain ratings, thresholds.

Read from a YAML file (``--config dsscan.yaml``); every key is optional and documented in
``docs/config.md``. What policies need (thresholds) is handed to Rego as ``data.dsscan.config``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.levels import DEFAULT_SEVERITY_BY_LEVEL, LEVELS, SEVERITIES, UNCLASSIFIED

# What --fail-on / fail_on accept: a severity, a data level, or never.
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "info",
                   "core", "important", "sensitive", "general", "never")

ENVIRONMENTS = ("production", "staging", "test", "development", "unknown")

DEFAULT_ENVIRONMENT_SYNONYMS: dict[str, str] = {
    "production": "production", "prod": "production", "prd": "production", "live": "production",
    "生产": "production",
    "staging": "staging", "stage": "staging", "stg": "staging", "pre-production": "staging",
    "preprod": "staging", "预生产": "staging",
    "test": "test", "testing": "test", "uat": "test", "sit": "test", "qa": "test", "测试": "test",
    "development": "development", "dev": "development", "开发": "development",
}

# Glob patterns on the asset name (case-insensitive); the first environment whose pattern
# matches wins, in this order, so "prod-test-copy" is a test store, not a production one.
DEFAULT_NAME_PATTERNS: dict[str, list[str]] = {
    "test": ["test-*", "*-test", "*-test-*", "uat-*", "*-uat", "*-uat-*", "*-qa", "*-qa-*",
             "*-sit", "*-sit-*"],
    "development": ["dev-*", "*-dev", "*-dev-*"],
    "staging": ["staging-*", "*-staging", "*-staging-*", "*-stg", "*-stg-*"],
    "production": ["prod-*", "*-prod", "*-prod-*", "*-prd", "*-prd-*", "*-production*"],
}

# Unmasked content of these detectors proves at least this level (Art. 18; docs/config.md).
DEFAULT_CONTENT_LEVELS: dict[str, str] = {
    "prc_resident_id": "sensitive",
    "foreign_permanent_resident_id": "sensitive",
    "hmt_residence_permit": "sensitive",
    "bank_card": "sensitive",
    "mobile_phone": "sensitive",
    "passport": "sensitive",
    "hmt_travel_permit": "sensitive",
    "email": "sensitive",
    "unified_social_credit_code": "general",
    "person_name": "sensitive",
    "hmt_identity_card": "sensitive",
}


# Art. 43: logs of operations on data kept at least 3 years for core, 1 year for important
# and sensitive data, 3 years where the store is outsourced or co-processed.
LOG_RETENTION_FLOOR: dict[str, int] = {"core": 1095, "important": 365, "sensitive": 365,
                                       "outsourced": 1095}
DEFAULT_OUTSOURCED_TAG_KEYS = ("dsscan:outsourced", "outsourced", "dsscan:co-processed",
                               "co-processed")


@dataclass
class AccountInfo:
    environment: str | None = None
    name: str | None = None
    # The legal entity the account belongs to (parent bank, an insurance or wealth
    # subsidiary...): DS-SHR-002, dsscan.entities.
    entity: str | None = None


@dataclass
class DomainRating:
    level: str | None = None
    environment: str | None = None


@dataclass
class Config:
    level_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:level", "data-level", "data_level", "DataLevel",
                                 "dsscan:data-level"])
    level_synonyms: dict[str, str] = field(default_factory=dict)
    environment_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:environment", "environment", "Environment", "env", "Env"])
    environment_synonyms: dict[str, str] = field(default_factory=dict)
    environment_name_patterns: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_NAME_PATTERNS.items()})
    desensitization_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:desensitization", "desensitization-record"])
    accounts: dict[str, AccountInfo] = field(default_factory=dict)
    domains: dict[str, DomainRating] = field(default_factory=dict)
    catalogue: str | None = None
    content_levels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CONTENT_LEVELS))
    # Policy thresholds (handed to Rego as data.dsscan.config).
    test_environments: list[str] = field(default_factory=lambda: ["test", "development"])
    unclassified_protection_level: str = "sensitive"
    backup_separation: str = "account_or_region"
    # DS-BAK-004: a completed restore within this many days verifies a store's backups.
    restore_verification_days: int = 180
    severity_by_level: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_BY_LEVEL))
    # Compliance operations (issue 6).
    fail_on: str = "low"
    policy_dirs: list[str] = field(default_factory=list)
    # Regions where data of sensitive level or above may be stored (DS-XBR-001); empty = any.
    allowed_regions: list[str] = field(default_factory=list)
    # KMS keys outside the scanned estate declared customer-managed (dsscan.keys.DeclaredKeys).
    kms_keys: list[Any] = field(default_factory=list)
    # Accounts of the institution besides those the scan reads (DS-KMS-001: a key that lets
    # any other account decrypt crosses the institution's boundary). dsscan.keyrel.
    institution_accounts: list[str] = field(default_factory=list)
    # The institution's AWS Organizations (o-...): a key policy confined by
    # aws:PrincipalOrgID to another organization lets it decrypt (DS-KMS-001). dsscan.keyrel.
    institution_organizations: list[str] = field(default_factory=list)
    # Legal entities (DS-SHR-002, dsscan.entities): AWS Organizations OU ids or names -> the
    # entity name of the accounts under them (read by a live --organization sweep).
    legal_entities: dict[str, str] = field(default_factory=dict)
    # Tags marking an approved share or entrustment of a store or snapshot (DS-SHR-001/002).
    sharing_record_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:sharing-record", "sharing-record"])
    # Operation logs (Art. 43, DS-LOG-002): tags marking a store outsourced or co-processed,
    # and the days its logs are kept by level (the regulation's minimums; only raisable).
    outsourced_tag_keys: list[str] = field(
        default_factory=lambda: list(DEFAULT_OUTSOURCED_TAG_KEYS))
    log_retention_days: dict[str, int] = field(
        default_factory=lambda: dict(LOG_RETENTION_FLOOR))
    # Regulatory events (Art. 19, dsscan.events): tags holding the id of the approval record
    # of a store's level change; a lowered level without one is an event.
    level_change_approval_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:level-change-approval", "level-change-approval"])
    # Declared retention of a store's data (DS-RET-001, Art. 38/46; dsscan.retention): tags
    # holding a number of days, and tags holding the date after which it must be gone.
    retention_days_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:retention-days", "retention-days"])
    retention_until_tag_keys: list[str] = field(
        default_factory=lambda: ["dsscan:retention-until", "retention-until"])
    # Report defaults when no --format/--output is given: [{"format": ..., "output": ...}].
    reports: list[dict[str, str | None]] = field(default_factory=list)
    store: str | None = None  # history store URL (default for --store)
    opa_url: str | None = None
    opa_timeout: float = 30.0
    baseline: str | None = None
    # dsscan.waivers.Waiver / WaiverRules, validated when the config is loaded.
    waivers: list[Any] = field(default_factory=list)
    waiver_rules: Any = None
    source_path: str | None = None
    # Where each setting came from: key -> "file:line" or "pyproject.toml [tool.dsscan]" or a
    # command-line flag; keys not listed are defaults (``dsscan config show``).
    origins: dict[str, str] = field(default_factory=dict)

    def environment_table(self) -> dict[str, str]:
        return {**DEFAULT_ENVIRONMENT_SYNONYMS,
                **{k.lower(): v for k, v in self.environment_synonyms.items()}}

    def policy_data(self) -> dict[str, Any]:
        """What Rego sees as ``data.dsscan.config``."""
        return {
            "test_environments": list(self.test_environments),
            "unclassified_protection_level": self.unclassified_protection_level,
            "backup_separation": self.backup_separation,
            "allowed_regions": list(self.allowed_regions),
        }


_BACKUP_SEPARATION = ("account_or_region", "account", "region", "account_and_region")


def load_config(path: str | Path | None) -> Config:
    """Load a config file (YAML, or a pyproject.toml's ``[tool.dsscan]``); None gives the
    defaults. Bad files raise InputError (one line). Discovery: dsscan.config_files."""
    if path is None:
        return Config()
    from dsscan.config_files import read_settings

    raw, lines, origin = read_settings(Path(path))
    return config_from_mapping(raw, origin, base_dir=Path(path).resolve().parent, lines=lines)


_PATH_KEYS = ("catalogue", "baseline")  # resolved against the config file's directory
_STR_LIST_KEYS = ("level_tag_keys", "environment_tag_keys", "desensitization_tag_keys",
                  "test_environments", "allowed_regions")


def config_from_mapping(raw: dict[str, Any], origin: str = "config", *,
                        base_dir: Path | None = None,
                        lines: dict[str, int] | None = None) -> Config:
    """Validate settings; ``base_dir`` resolves relative paths, ``lines`` maps keys to the
    line they were set on (for ``dsscan config show``)."""
    known = {f.name for f in dataclasses.fields(Config)} - {"source_path", "origins"}
    unknown = sorted((str(k) for k in set(raw) - known - {"waiver_rules"}), key=str)
    if unknown:
        raise InputError(f"{origin}: unknown setting '{unknown[0]}' "
                         f"(known: {', '.join(sorted(known))})")
    cfg = Config(source_path=origin)
    lines = lines or {}
    cfg.origins = {k: f"{origin}:{lines[k]}" if k in lines else origin for k in raw}

    def resolve(value: str) -> str:
        if base_dir is None or Path(value).is_absolute() or "://" in value:
            return value
        return str((base_dir / value).resolve())

    def want(key: str, typ: type, value: Any) -> Any:
        if not isinstance(value, typ):
            raise InputError(f"{origin}: setting '{key}' must be a {typ.__name__}")
        return value

    for key, value in raw.items():
        if key == "accounts":
            want(key, dict, value)
            cfg.accounts = {}
            for acct, info in value.items():
                if not isinstance(acct, str):  # YAML reads 012345670123 as an octal number
                    raise InputError(f"{origin}: accounts: quote the account id {acct!r} "
                                     "(unquoted digits are read as a number)")
                info = want(f"accounts.{acct}", dict, info or {})
                env = info.get("environment")
                if env is not None and env not in ENVIRONMENTS:
                    raise InputError(f"{origin}: accounts.{acct}.environment '{env}' is not one of "
                                     f"{', '.join(ENVIRONMENTS)}")
                entity = info.get("entity")
                if entity is not None and (not isinstance(entity, str) or not entity.strip()):
                    raise InputError(f"{origin}: accounts.{acct}.entity must be the name of a "
                                     "legal entity (a non-empty string)")
                cfg.accounts[str(acct)] = AccountInfo(environment=env, name=info.get("name"),
                                                      entity=entity.strip() if entity else None)
        elif key == "domains":
            want(key, dict, value)
            cfg.domains = {}
            for dom, info in value.items():
                info = want(f"domains.{dom}", dict, info or {})
                lv = info.get("level")
                if lv is not None and lv not in LEVELS:
                    raise InputError(f"{origin}: domains.{dom}.level '{lv}' is not one of "
                                     f"{', '.join(LEVELS)}")
                cfg.domains[str(dom)] = DomainRating(level=lv, environment=info.get("environment"))
        elif key in _STR_LIST_KEYS:
            setattr(cfg, key, [str(x) for x in want(key, list, value)])
        elif key == "policy_dirs":
            cfg.policy_dirs = [resolve(str(x)) for x in want(key, list, value)]
        elif key == "reports":
            cfg.reports = _reports(want(key, list, value), origin, resolve)
        elif key == "opa_timeout":
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0 < value < float("inf")):
                raise InputError(f"{origin}: setting 'opa_timeout' must be a positive number "
                                 "of seconds")
            cfg.opa_timeout = float(value)
        elif key == "outsourced_tag_keys":
            cfg.outsourced_tag_keys = _tag_keys(key, want(key, list, value), origin)
        elif key == "level_change_approval_tag_keys":
            cfg.level_change_approval_tag_keys = _tag_keys(key, want(key, list, value), origin)
        elif key in ("retention_days_tag_keys", "retention_until_tag_keys"):
            setattr(cfg, key, _tag_keys(key, want(key, list, value), origin))
        elif key == "sharing_record_tag_keys":
            cfg.sharing_record_tag_keys = _tag_keys(key, want(key, list, value), origin)
        elif key == "legal_entities":
            from dsscan.entities import parse_legal_entities

            cfg.legal_entities = parse_legal_entities(want(key, dict, value), origin)
        elif key == "log_retention_days":
            cfg.log_retention_days = _log_retention(want(key, dict, value), origin)
        elif key == "kms_keys":
            from dsscan.keys import parse_kms_keys

            cfg.kms_keys = parse_kms_keys(value, origin)
        elif key == "institution_accounts":
            from dsscan.keyrel import parse_institution_accounts

            cfg.institution_accounts = parse_institution_accounts(value, origin)
        elif key == "institution_organizations":
            from dsscan.keyrel import parse_institution_organizations

            cfg.institution_organizations = parse_institution_organizations(value, origin)
        elif key == "waivers":
            from dsscan.waivers import parse_waivers

            cfg.waivers = parse_waivers(value, origin)
        elif key == "waiver_rules":
            from dsscan.waivers import parse_waiver_rules

            cfg.waiver_rules = parse_waiver_rules(value, origin)
        elif key == "restore_verification_days":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InputError(f"{origin}: setting 'restore_verification_days' must be a "
                                 "positive whole number of days")
            cfg.restore_verification_days = value
        elif key in _PATH_KEYS:
            setattr(cfg, key, resolve(want(key, str, value)))
        elif key == "store":
            v = want(key, str, value)
            cfg.store = v if "://" in v else resolve(v)
        elif key in ("level_synonyms", "environment_synonyms", "content_levels",
                     "severity_by_level"):
            setattr(cfg, key, {**getattr(cfg, key), **{str(k): str(v)
                                                      for k, v in want(key, dict, value).items()}})
        elif key == "environment_name_patterns":
            setattr(cfg, key, {str(k): [str(p) for p in want(f"{key}.{k}", list, v)]
                               for k, v in want(key, dict, value).items()})
        else:
            setattr(cfg, key, want(key, str, value))

    cfg.fail_on = cfg.fail_on.lower()  # as --fail-on: HIGH is high
    if cfg.fail_on not in FAIL_ON_CHOICES:
        raise InputError(f"{origin}: fail_on '{cfg.fail_on}' is not one of "
                         f"{', '.join(FAIL_ON_CHOICES)}")
    given = raw.get("severity_by_level")
    _check_unclassified_duties(cfg, origin, explicit=isinstance(given, dict)
                               and UNCLASSIFIED in given)
    if cfg.backup_separation not in _BACKUP_SEPARATION:
        raise InputError(f"{origin}: backup_separation must be one of "
                         f"{', '.join(_BACKUP_SEPARATION)}")
    for lv, sev in cfg.severity_by_level.items():
        if sev not in SEVERITIES:
            raise InputError(f"{origin}: severity_by_level.{lv} '{sev}' is not one of "
                             f"{', '.join(SEVERITIES)}")
    for syn, env in cfg.environment_synonyms.items():
        if env not in ENVIRONMENTS[:-1]:
            raise InputError(f"{origin}: environment_synonyms.{syn} '{env}' is not one of "
                             f"{', '.join(ENVIRONMENTS[:-1])}")
    for det, lv in cfg.content_levels.items():
        if lv not in LEVELS:
            raise InputError(f"{origin}: content_levels.{det} '{lv}' is not one of "
                             f"{', '.join(LEVELS)}")
    return cfg


# A store whose level is unknown owes at least the duties of sensitive data (docs/config.md;
# Art. 18 has no "unknown" tier): settings may raise that floor, never lower it.
UNCLASSIFIED_FLOORS = ("sensitive", "important", "core")


def _check_unclassified_duties(cfg: Config, origin: str, *, explicit: bool) -> None:
    """Refuse settings that would give stores of unknown level the duties (or the severity)
    of general data: an unclassified store is never general. ``explicit``: the file sets
    severity_by_level.unclassified; if not, it follows a raised protection level."""
    floor = cfg.unclassified_protection_level
    if floor not in UNCLASSIFIED_FLOORS:
        raise InputError(f"{origin}: unclassified_protection_level '{floor}' would hold stores "
                         "of unknown level to less than sensitive data's duties; use one of "
                         f"{', '.join(UNCLASSIFIED_FLOORS)} (unclassified is never general)")
    sev = cfg.severity_by_level
    own, owed = sev.get(UNCLASSIFIED), sev.get(floor)
    if own in SEVERITIES and owed in SEVERITIES and SEVERITIES.index(own) < SEVERITIES.index(owed):
        if not explicit:
            sev[UNCLASSIFIED] = owed
            return
        raise InputError(f"{origin}: severity_by_level.unclassified '{own}' is lower than "
                         f"'{owed}' of {floor}, the level unclassified stores are protected as "
                         "(unclassified is never general)")


def _tag_keys(key: str, items: list[Any], origin: str) -> list[str]:
    if not all(isinstance(x, str) and x.strip() for x in items):
        raise InputError(f"{origin}: setting '{key}' must be a list of tag keys (non-empty "
                         "strings)")
    return [x.strip() for x in items]


def _log_retention(value: dict[str, Any], origin: str) -> dict[str, int]:
    """Days operation logs are kept, by level or ``outsourced``: an institution may demand
    more than Art. 43, never less (a lower number would pass logs the regulation fails)."""
    out = dict(LOG_RETENTION_FLOOR)
    for k, v in value.items():
        if k not in LOG_RETENTION_FLOOR:
            raise InputError(f"{origin}: log_retention_days.{k}: not one of "
                             f"{', '.join(LOG_RETENTION_FLOOR)}")
        if isinstance(v, bool) or not isinstance(v, int) or v < LOG_RETENTION_FLOOR[k]:
            raise InputError(f"{origin}: log_retention_days.{k} must be a whole number of days "
                             f"of at least {LOG_RETENTION_FLOOR[k]} (Art. 43)")
        out[str(k)] = v
    return out


def _reports(items: list[Any], origin: str, resolve: Any) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"format": item}
        if not isinstance(item, dict) or not isinstance(item.get("format"), str) \
                or set(item) - {"format", "output"}:
            raise InputError(f"{origin}: reports[{i}] must be a format name or "
                             "{format: NAME, output: FILE}")
        output = item.get("output")
        if output is not None and not isinstance(output, str):
            raise InputError(f"{origin}: reports[{i}].output must be a file path")
        out.append({"format": item["format"].lower(),
                    "output": resolve(output) if output else None})
    return out
