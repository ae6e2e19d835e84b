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
    Article(22, "Security assessment before sharing and entrustment",
            "Assess data security in advance before processing sensitive data or above, or "
            "before entrusted or joint processing, transfer, disclosure or sharing: the "
            "necessity, compliance and effectiveness of the safeguards."),
    Article(28, "Access authorization and audit of sensitive data",
            "Authorize access to sensitive data by business necessity, manage data access in "
            "a closed loop and audit it; data extracted from production needs strict approval "
            "and a defined period of use or storage; processing over networks meets network "
            "security protection and cryptography requirements."),
    Article(29, "Central control of sharing; the group firewall",
            "Control data sharing centrally and evaluate each sharing; isolate the data of "
            "the parent bank, group or parent company and its subsidiaries by a firewall, "
            "and share sensitive data among them only with the data subject's consent."),
    Article(30, "Entrusted processing under contract",
            "Specify and record by contract the purpose, period, scope, protection and "
            "return or deletion of data entrusted to a processor, which may not pass it on "
            "or share it further."),
    Article(31, "Entrustment within outsourcing management",
            "Manage entrusted data processing as IT outsourcing; strengthen supplier access "
            "and security management where suppliers process data of sensitive level or "
            "above."),
    Article(32, "Joint processing with third parties",
            "Process data jointly with a third party only as the business needs, with "
            "protection measures and each party's duties set by contract."),
    Article(33, "Transfers on merger, division or dissolution",
            "Transfer data only with the recipient bound to protect it, the data subjects "
            "notified, and the transfer safe and traceable."),
    Article(34, "Providing data outside; core data across entities",
            "Obtain the data subject's consent to provide sensitive data to the outside "
            "world; core data flows across subjects only after risk assessment and security "
            "review."),
    Article(36, "Providing data overseas",
            "An institution that provides important data or personal information collected "
            "and generated in its operations within the People's Republic of China to parties "
            "overseas bears the main responsibility for its security and conducts security "
            "assessments as national policy requires."),
    Article(37, "Backups stored separately, access restricted",
            "Strengthen protection of sensitive data; formulate backup policies, store backup "
            "data and production data separately, strictly manage access rights to backup "
            "data, and verify that backups are complete and allow the business to recover."),
    Article(38, "Data destruction",
            "Delete or anonymise data as regulations and agreements with data subjects "
            "require, and have processors delete entrusted data when the processing ends."),
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
    Article(46, "Deletion at the end of the retention period",
            "Delete or destroy data of sensitive level or above promptly when its period of "
            "use or storage ends, so that it cannot be recovered."),
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


# --- the coverage boundary ------------------------------------------------------------------
# Every article of the Measures that the shipped library does not judge, grouped by why: a
# compliance officer reads the boundary here instead of guessing it from what is absent.
# Reports list the articles of these groups that no evaluated policy cites (a user policy
# citing one moves it into the per-article table). tests/test_coverage_boundary.py checks
# that the groups and the shipped library together cover articles 1-81 exactly once.

LAST_ARTICLE = 81


@dataclass(frozen=True)
class Boundary:
    articles: tuple[int, ...]
    topic: str
    reason: str


def _span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


BOUNDARY: tuple[Boundary, ...] = (
    Boundary(_span(1, 4), "Purpose, scope and definitions; the regulator's role",
             "Definitions and the regulator's remit: they set no duty an infrastructure "
             "setting can show."),
    Boundary(_span(5, 15), "Data security governance: organisation, responsibilities, "
                           "culture and training",
             "Shown by governance records (board decisions, named departments, training), "
             "not by infrastructure."),
    Boundary((17, 20, 21, 23), "Classification management, protection strategy, data "
                               "architecture and data services",
             "Management systems and processes: dsscan uses their output (the data "
             "catalogue of Art. 16) but cannot judge how it is made."),
    Boundary((24, 25, 26, 27), "Lawful collection, procurement and anonymisation in "
                               "processing",
             "Purposes, approvals and consents are documents and processes; this version "
             "checks no infrastructure fact for them."),
    Boundary((35,), "Public disclosure of data",
             "An approval mechanism and official channels for what an institution publishes; "
             "a store readable by anyone is a finding of other policies (DS-NET-003, "
             "DS-BAK-003), but a disclosure's approval is a process."),
    Boundary((39, 40, 47), "Protection systems for heterogeneous environments, the "
                           "development life cycle and shared security components",
             "Programmes and capabilities: no single resource setting shows them."),
    Boundary(_span(50, 52), "Algorithms, models and artificial intelligence",
             "Model governance, review and disclosure: outside data-storage infrastructure."),
    Boundary((*_span(54, 60), 62, 63), "Personal information: notice, consent, purpose, "
                                       "individual rights, transfers abroad, breaches",
             "Duties to individuals and notifications are processes; dsscan finds "
             "identifiers in data (Art. 45, 48) but cannot see notice or consent."),
    Boundary(_span(64, 69), "Risk management, monitoring, assessments and incident "
                            "response",
             "Processes, annual assessments and incident reports; dsscan's findings and "
             "history can feed them but do not show them done."),
    Boundary(_span(70, 81), "Supervision, reporting to the regulator, penalties and "
                            "supplementary provisions",
             "The regulator's powers and the institution's reports to it; nothing in the "
             "infrastructure shows a report made (dsscan diff and history list the changes "
             "that call for one: new important or core stores, Art. 71; new outside "
             "principals on sensitive data, Art. 73)."),
)


@dataclass(frozen=True)
class BoundaryRow:
    articles: tuple[int, ...]  # those of the group no evaluated policy cites
    topic: str
    reason: str

    @property
    def label(self) -> str:
        return article_ranges(self.articles)


def article_ranges(numbers: tuple[int, ...]) -> str:
    """(5, 6, 7, 9) -> "Art. 5–7, 9": consecutive articles as one range."""
    parts: list[str] = []
    nums = sorted(set(numbers))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f"{nums[i]}\u2013{nums[j]}")
        i = j + 1
    return "Art. " + ", ".join(parts)


def boundary_rows(cited: set[int]) -> list[BoundaryRow]:
    """The groups of articles dsscan does not judge, without those an evaluated policy
    cites; a group left empty is not listed."""
    rows = []
    for b in BOUNDARY:
        left = tuple(n for n in b.articles if n not in cited)
        if left:
            rows.append(BoundaryRow(left, b.topic, b.reason))
    grouped = {n for b in BOUNDARY for n in b.articles}
    rest = tuple(n for n in range(1, LAST_ARTICLE + 1) if n not in cited and n not in grouped)
    if rest:  # judged by shipped policies this run did not evaluate (--skip, --policy-dir)
        rows.insert(0, BoundaryRow(rest, NOT_EVALUATED_TOPIC, NOT_EVALUATED_REASON))
    return rows


NOT_EVALUATED_TOPIC = "Judged by dsscan policies this run did not evaluate"
NOT_EVALUATED_REASON = ("The run evaluated part of the library (--policy, --skip-policy or "
                        "another policy directory); evaluate the whole library to judge them.")


__all__ = ["ARTICLES", "BOUNDARY", "LAST_ARTICLE", "NO_ARTICLE_TITLE", "REGULATION_EN",
           "REGULATION_ZH", "UNKNOWN_TITLE", "Article", "Boundary", "BoundaryRow",
           "article_ranges", "article_summary", "article_title", "boundary_rows"]
