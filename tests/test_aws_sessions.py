"""Sessions dsscan creates share one copy of botocore's service models (scanners/aws/clients):
a sweep that assumes a role in every account parsed the same JSON models once per account."""

from __future__ import annotations

import pytest
from aws_support import FAKE_ENV
from botocore.exceptions import ProfileNotFound
from botocore.session import Session as BotocoreSession

from dsscan.scanners.aws.clients import new_session


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    (tmp_path / "config").write_text("[profile audit]\nregion = cn-north-1\n")


def test_every_session_reads_models_through_one_loader(env: None) -> None:
    sessions = [new_session(), new_session(BotocoreSession()), new_session(profile="audit")]
    loaders = {id(s._session.get_component("data_loader")) for s in sessions}
    assert len(loaders) == 1
    loader = sessions[0]._session.get_component("data_loader")
    assert len(loader.search_paths) == len(set(loader.search_paths))  # boto3's path once
    a = sessions[0].client("s3", region_name="cn-north-1").meta.service_model
    b = sessions[1].client("s3", region_name="cn-north-1").meta.service_model
    assert a._service_description is b._service_description  # parsed once, shared


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_profile_that_does_not_exist_is_refused_when_the_session_is_made(
        env: None, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    new_session()  # the shared loader exists already: it must not hide the missing profile
    if how == "option":
        with pytest.raises(ProfileNotFound):
            new_session(profile="nope")
    else:
        monkeypatch.setenv("AWS_PROFILE", "nope")
        with pytest.raises(ProfileNotFound):
            new_session()
