"""The NFRA articles dsscan's shipped policies cite: number -> short title and summary.

Source: the English text of the NFRA *Data Security Management Measures for Banking and
Insurance Institutions* (2024, No. 24). The titles are dsscan's own short labels (the
Measures number their articles but do not title them); each summary keeps to what the
article says, shortened, so a compliance report reader can see what a policy is held to
without reading it as a quotation. A policy from --policy-dir may cite any other article:
it is reported under its number with ``UNKNOWN_TITLE``.
"""

from __future__ import annotations

from dataclasses import dataclass

REGULATION_EN = ("NFRA Data Security Management Measures for Banking and Insurance "
                 "Institutions (2024, No. 24)")
REGULATION_ZH = "银行保险机构数据安全管理办法"
UNKNOWN_TITLE = "(article not in dsscan's article list)"
NO_ARTICLE_TITLE = "Policies citing no NFRA article"


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    summary: str


_ARTICLES: tuple[Article, ...] = (
    Article(16, "Data classification and grading system",
            "Formulate data classification and hierarchical protection systems, establish "
            "data catalogues and classification standards, maintain the catalogues, and apply "
            "differentiated security protection."),
    Article(18, "Data levels: core, important, general",
            "Divide data into core, important and general data by importance and sensitivity; "
            "general data is further divided into sensitive data and other general data."),
    Article(19, "Keeping data levels current",
            "Manage data security levels over time, with an approval mechanism for changes; "
            "when the data's attributes, importance or possible harm change so that the "
            "original level no longer applies, adjust the level promptly."),
    Article(28, "Access authorization and audit of sensitive data",
            "Authorize access to sensitive data by business necessity, manage data access in "
            "a closed loop and audit it; data extracted from production needs strict approval "
            "and a defined period of use or storage; processing over networks meets network "
            "security protection and cryptography requirements."),
    Article(36, "Providing data overseas",
            "An institution that provides important data or personal information collected "
            "and generated in its operations within the People's Republic of China to parties "
            "overseas bears the main responsibility for its security and conducts security "
            "assessments as national policy requires."),
    Article(37, "Backups stored separately, access restricted",
            "Strengthen protection of sensitive data; formulate backup policies, store backup "
            "data and production data separately, strictly manage access rights to backup "
            "data, and verify that backups are complete and allow the business to recover."),
    Article(41, "Network security domains by data level",
            "Divide network logical security domains according to data security levels, with "
            "protection baselines and controls (content filtering, access control, monitoring) "
            "meeting the needs of the highest level of data processed or stored; key "
            "protection for rooms and networks that store or transmit sensitive data."),
    Article(42, "Protection throughout the data life cycle; aggregated data",
            "Access control throughout the data life cycle, the same level of protection for "
            "data circulating and shared across regions, and, for data collected from several "
            "sources at sensitive level or above, protection at least as strong as the highest "
            "level before aggregation."),
    Article(43, "Access control and operation logs kept by level",
            "Access control matched to the data's level; operations on sensitive data and "
            "above are logged (time, user, type of operation); operation logs and their "
            "backups are kept at least three years for core data, at least one year for "
            "important and sensitive data, and at least three years where processing is "
            "outsourced or co-processed; operations audited at least every six months."),
    Article(44, "Secure transmission",
            "Use secure transmission methods to ensure the integrity, confidentiality and "
            "availability of data, including in data exchange between institutions."),
    Article(45, "Safe storage and disaster-recovery backup of sensitive data",
            "Safe storage measures for sensitive data against ransomware and trojans; personal "
            "identification data must not be stored, transmitted or displayed in clear text; "
            "data at sensitive level or above is backed up for disaster recovery and its "
            "recoverability verified regularly."),
    Article(48, "Secure development; test environments isolated and desensitized",
            "Clarify the data, security levels and protection requirements of a system under "
            "development and test its security before go-live; isolate the test environment "
            "from production; in principle, data at sensitive level or above must not enter "
            "the test environment without desensitization."),
    Article(49, "Big data platforms: availability, backup, monitored access",
            "High-availability design, security reinforcement and data backup for big data "
            "platforms; an access authorization mechanism for big data services, with access "
            "behaviour monitored and audited."),
    Article(53, "Isolating risk in open banking and third-party data cooperation",
            "In open banking, financial ecosystems and data cooperation with third parties, "
            "isolate the institution's own security risks; exchange data with external "
            "institutions through centrally managed platforms or interfaces under business "
            "necessity and minimum authority."),
    Article(61, "Personal information processed by third parties",
            "A trustee processing personal information is bound by contract to its protection "
            "duties, measures and periods and supervised; sensitive personal data transmitted "
            "with a third party must be kept safe from misuse and leakage."),
)

ARTICLES: dict[int, Article] = {a.number: a for a in _ARTICLES}


def article_title(number: int) -> str:
    a = ARTICLES.get(number)
    return a.title if a else UNKNOWN_TITLE


def article_summary(number: int) -> str:
    a = ARTICLES.get(number)
    return a.summary if a else ""


__all__ = ["ARTICLES", "NO_ARTICLE_TITLE", "REGULATION_EN", "REGULATION_ZH", "UNKNOWN_TITLE",
           "Article", "article_summary", "article_title"]
