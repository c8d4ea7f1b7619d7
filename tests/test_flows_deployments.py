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

    assert set(DEPLOYED) == {"full-run", "ingest", "annotate", "analyse", "report"}
    for name, flow in DEPLOYED.items():
        schema = parameter_schema(flow)
        assert "study_folder" in schema.required, name
        assert all(p.get("description") for p in schema.properties.values()), name
