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

# Unmasked content of these detectors proves at least this level (Art. 18; DESIGN §4).
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
}


@dataclass
class AccountInfo:
    environment: str | None = None
    name: str | None = None


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
    severity_by_level: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_BY_LEVEL))
    source_path: str | None = None

    def environment_table(self) -> dict[str, str]:
        return {**DEFAULT_ENVIRONMENT_SYNONYMS,
                **{k.lower(): v for k, v in self.environment_synonyms.items()}}

    def policy_data(self) -> dict[str, Any]:
        """What Rego sees as ``data.dsscan.config``."""
        return {
            "test_environments": list(self.test_environments),
            "unclassified_protection_level": self.unclassified_protection_level,
            "backup_separation": self.backup_separation,
        }


_BACKUP_SEPARATION = ("account_or_region", "account", "region", "account_and_region")


def load_config(path: str | Path | None) -> Config:
    """Load a config file; None gives the defaults. Bad files raise InputError (one line)."""
    if path is None:
        return Config()
    import yaml

    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{p}: cannot read config file ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{p}: not valid YAML{where}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{p}: config must be a mapping of settings, got {type(raw).__name__}")
    cfg = config_from_mapping(raw, str(p))
    if cfg.catalogue and not Path(cfg.catalogue).is_absolute():
        cfg.catalogue = str((p.parent / cfg.catalogue).resolve())
    return cfg


def config_from_mapping(raw: dict[str, Any], origin: str = "config") -> Config:
    known = {f.name for f in dataclasses.fields(Config)} - {"source_path"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"{origin}: unknown setting '{unknown[0]}' "
                         f"(known: {', '.join(sorted(known))})")
    cfg = Config(source_path=origin)

    def want(key: str, typ: type, value: Any) -> Any:
        if not isinstance(value, typ):
            raise InputError(f"{origin}: setting '{key}' must be a {typ.__name__}")
        return value

    for key, value in raw.items():
        if key == "accounts":
            want(key, dict, value)
            cfg.accounts = {}
            for acct, info in value.items():
                info = want(f"accounts.{acct}", dict, info or {})
                env = info.get("environment")
                if env is not None and env not in ENVIRONMENTS:
                    raise InputError(f"{origin}: accounts.{acct}.environment '{env}' is not one of "
                                     f"{', '.join(ENVIRONMENTS)}")
                cfg.accounts[str(acct)] = AccountInfo(environment=env, name=info.get("name"))
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
        elif key in ("level_tag_keys", "environment_tag_keys", "desensitization_tag_keys",
                     "test_environments"):
            setattr(cfg, key, [str(x) for x in want(key, list, value)])
        elif key in ("level_synonyms", "environment_synonyms", "content_levels",
                     "severity_by_level"):
            setattr(cfg, key, {**getattr(cfg, key), **{str(k): str(v)
                                                      for k, v in want(key, dict, value).items()}})
        elif key == "environment_name_patterns":
            setattr(cfg, key, {str(k): [str(p) for p in want(f"{key}.{k}", list, v)]
                               for k, v in want(key, dict, value).items()})
        else:
            setattr(cfg, key, want(key, str, value))

    if cfg.unclassified_protection_level not in (*LEVELS, UNCLASSIFIED):
        raise InputError(f"{origin}: unclassified_protection_level must be one of "
                         f"{', '.join(LEVELS)}")
    if cfg.backup_separation not in _BACKUP_SEPARATION:
        raise InputError(f"{origin}: backup_separation must be one of "
                         f"{', '.join(_BACKUP_SEPARATION)}")
    for lv, sev in cfg.severity_by_level.items():
        if sev not in SEVERITIES:
            raise InputError(f"{origin}: severity_by_level.{lv} '{sev}' is not one of "
                             f"{', '.join(SEVERITIES)}")
    for det, lv in cfg.content_levels.items():
        if lv not in LEVELS:
            raise InputError(f"{origin}: content_levels.{det} '{lv}' is not one of "
                             f"{', '.join(LEVELS)}")
    return cfg
