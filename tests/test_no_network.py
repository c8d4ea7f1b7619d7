"""Nothing goes on the network: tagging (every method) and topics run with sockets blocked."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.config import TagOptions, TopicOptions
from pipeline.embed import make_embedder
from pipeline.tagfile import tag_records
from tests.topic_texts import topic_texts

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture()
def no_network(monkeypatch):
    """Any connection or name lookup outside loopback raises, and is recorded."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family == socket.AF_UNIX or host in LOOPBACK:
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network blocked in tests: connect to {address!r}")

    def getaddrinfo(host, *args, **kwargs):
        if host in LOOPBACK or host is None:
            return real_getaddrinfo(host, *args, **kwargs)
        attempts.append(host)
        raise socket.gaierror(f"network blocked in tests: lookup of {host!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: connect(self, address) or 0)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # prove we do not rely on it
    yield attempts
    assert attempts == [], f"network was attempted: {attempts}"


def test_blocking_works(no_network):
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("pypi.org", 443), timeout=1)
    no_network.clear()


@pytest.mark.slow
@pytest.mark.parametrize("embedder", ["e5", "use", "tfidf"])
def test_tagging_runs_offline(no_network, tmp_path, embedder):
    book = load_codebook(FIXTURES / "codebook_semantic.yaml")
    records = [("a", "Afspraak is afspraak, op haar kun je rekenen."), ("b", "De huur van ons pand stijgt."),
               ("c", "Zij trekt de kar."), ("d", "Het regent.")]
    training = tmp_path / "train.csv"
    training.write_text("id,text,labels\n" + "\n".join(
        f"{i},{t},{'space.rent' if 'huur' in t else ''}" for i, t in enumerate(
            ["De huur stijgt.", "Huur is te hoog.", "Het huurcontract loopt af.", "De huurprijs gaat omhoog.",
             "Het regent.", "Ik fiets naar huis.", "De koffie is op.", "Morgen is het vrij."])), encoding="utf-8")
    options = TagOptions(embedder=embedder, training=training)
    for method in ("rules", "semantic", "supervised", "ensemble"):
        rows = list(tag_records(records, book, tag_options=options, method=method))
        assert [r["id"] for r in rows] == ["a", "b", "c", "d"]


@pytest.mark.slow
def test_topics_run_offline(no_network, small_codebook):
    from pipeline.topics.model import fit_topics

    texts, _ = topic_texts(24)
    embedder = make_embedder("e5")
    embeddings = embedder.embed(texts)
    result = fit_topics(texts, embeddings, embedder, TopicOptions(min_topic_size=5), small_codebook)
    assert len(result.topics) == len(texts) and np.isfinite(embeddings).all()
