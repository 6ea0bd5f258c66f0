"""The parse pool: worker processes give what in-process parsing gives, feed errors come back as
FeedErrors for their feed, and a dying worker costs one feed at most, never the pass."""

import os

import pytest

from loa.errors import FeedError
from loa.ingest.prepare import ParsePool
from tests.conftest import FEEDS, write_config

pytestmark = pytest.mark.integration

URL = "https://www.caobang.example/rss/tin-tuc.rss"


def _crash(*_args):
    os._exit(3)  # as a segfault or the OOM killer would end a worker


def _crash_once(marker: str):
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    return "read"


def _bug(*_args):
    return [][0]


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    from loa.config import Env, load_config

    home = tmp_path_factory.mktemp("pool")
    cfg = load_config(Env(home=home, config_dir=write_config(home / "config", feeds=[])))
    with ParsePool(cfg, 2) as p:
        yield p


def test_workers_parse_and_understand_as_this_process_does(pool):
    body = (FEEDS / "sample-reform.xml").read_bytes()
    here = ParsePool(pool.cfg, 0)
    parsed = pool.parse(body, URL, "application/rss+xml")
    assert parsed == here.parse(body, URL, "application/rss+xml")
    understood = pool.understand(URL, parsed.entries, "cao-bang")
    assert understood == here.understand(URL, parsed.entries, "cao-bang")
    relevant = [u for u in understood if u.classification.relevant]
    assert relevant and all(set(u.variants) == {"website", "boards", "radio", "print"} for u in relevant)
    assert all(u.variants is None for u in understood if not u.classification.relevant)


def test_a_bad_feed_fails_in_a_worker_as_it_would_here(pool):
    with pytest.raises(FeedError) as caught:
        pool.parse((FEEDS / "malformed.xml").read_bytes(), URL, None)
    assert (caught.value.url, caught.value.reason) == (URL, "malformed")


def test_a_dead_worker_is_replaced_and_its_job_tried_once_more(pool, tmp_path):
    assert pool._run(URL, _crash_once, str(tmp_path / "crashed")) == "read"
    with pytest.raises(FeedError) as caught:
        pool._run(URL, _crash)
    assert caught.value.reason == "parser_crashed" and URL in str(caught.value)
    # the pool works on for the next feed
    assert pool.parse((FEEDS / "rss20.xml").read_bytes(), URL, None).entries


def test_a_bug_in_loa_fails_the_feed_not_the_pass(pool):
    with pytest.raises(FeedError) as caught:
        pool._run(URL, _bug)
    assert caught.value.reason == "internal_error" and "IndexError" in str(caught.value)
    with pytest.raises(FeedError, match="internal_error"):
        ParsePool(pool.cfg, 0)._run(URL, _bug)


def test_feed_errors_survive_a_trip_between_processes():
    import pickle

    err = pickle.loads(pickle.dumps(FeedError(URL, "deadline", "took too long", True)))
    assert (err.url, err.reason, err.detail, err.transient, str(err)) == (
        URL,
        "deadline",
        "took too long",
        True,
        f"feed {URL}: deadline: took too long",
    )
