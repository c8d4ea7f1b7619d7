"""The served flows' form parameters become a RunConfig; mistakes are user errors."""

from __future__ import annotations

import pytest

from flows.deployments import DEPLOYED, build_config, output_folder
from pipeline.errors import KwaliError
from pipeline.models import Unit


def test_form_parameters_build_the_run_config(tmp_path, small_codebook_path):
    study = tmp_path / "studie"
    study.mkdir()
    config = build_config(str(study), str(small_codebook_path), "sentence", 2, "", ["rules"], "city")
    assert config.corpus == study and config.out == tmp_path / "studie-kwali"
    assert config.segment.unit is Unit.SENTENCE and config.segment.window == 2 and config.attribute == "city"
    assert build_config(str(study), str(small_codebook_path), "turn", 3, "rapport", [], "").attribute is None


def test_output_goes_beside_the_study_never_inside_it(tmp_path):
    assert output_folder(str(tmp_path / "s"), "uit") == tmp_path / "uit"
    assert output_folder(str(tmp_path / "s"), str(tmp_path / "elders")) == tmp_path / "elders"


def test_missing_study_or_codebook_is_a_user_error(tmp_path, small_codebook_path):
    with pytest.raises(KwaliError, match="study folder not found"):
        build_config(str(tmp_path / "nergens"), str(small_codebook_path), "turn", 3, "", ["rules"], "")
    with pytest.raises(KwaliError, match="codebook not found"):
        build_config(str(tmp_path), str(tmp_path / "geen.yaml"), "turn", 3, "", ["rules"], "")


def test_every_served_flow_documents_every_parameter():
    from prefect.utilities.callables import parameter_schema

    assert set(DEPLOYED) == {"full-run", "ingest", "annotate", "analyse", "report", "topics"}
    for name, flow in DEPLOYED.items():
        schema = parameter_schema(flow)
        assert "study_folder" in schema.required, name
        assert all(p.get("description") for p in schema.properties.values()), name


def test_full_run_form_offers_the_runner_and_a_dask_address():
    from prefect.utilities.callables import parameter_schema

    props = parameter_schema(DEPLOYED["full-run"]).model_dump()["properties"]
    assert props["runner"]["enum"] == ["threads", "dask"] and props["runner"]["default"] == "threads"
    assert props["dask_address"]["type"] == "string" and props["dask_address"]["default"] == ""


def test_form_runner_reaches_the_dask_task_runner(monkeypatch):
    pytest.importorskip("prefect_dask", reason="pip install prefect-dask==0.3.7")
    from prefect_dask import DaskTaskRunner

    from flows import full_run as fr
    from flows.deployments import runner_flow

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # no temporary server for workers
    assert runner_flow("threads") is fr.full_run
    flow = runner_flow("dask", "tcp://127.0.0.1:8786")
    assert isinstance(flow.task_runner, DaskTaskRunner) and flow.task_runner.address == "tcp://127.0.0.1:8786"
    assert flow.fn is fr.full_run.fn
    with pytest.raises(KwaliError, match="needs --runner dask"):
        runner_flow("threads", "tcp://127.0.0.1:8786")
    with pytest.raises(KwaliError, match="unknown runner"):
        runner_flow("ray")


def test_topics_form_parameters_are_typed_and_checked(tmp_path, small_codebook_path):
    from prefect.utilities.callables import parameter_schema

    schema = parameter_schema(DEPLOYED["topics"]).model_dump()
    assert schema["required"] == ["study_folder"]
    props = schema["properties"]
    assert props["embedder"]["enum"] == ["e5", "use", "tfidf"] and props["min_topic_size"]["default"] == 10
    study = tmp_path / "studie"
    study.mkdir()
    topics = DEPLOYED["topics"].fn
    with pytest.raises(KwaliError, match="at least 2 segments"):
        topics(str(study), str(small_codebook_path), min_topic_size=1)
    with pytest.raises(KwaliError, match="local model folder not found"):
        topics(str(study), str(small_codebook_path), local_model=str(tmp_path / "geen-model"))
    with pytest.raises(KwaliError, match="no run with documents yet"):
        topics(str(study), str(small_codebook_path))
