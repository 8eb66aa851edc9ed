"""The package as a Python programmer meets it: every public function documented and typed,
`py.typed` and the extension's stub shipped, every keyword known to the one table of types and
aliases (llmplan/_request.py), and requests that cannot be answered returned, not raised.
"""

from __future__ import annotations

import inspect
import os
import typing

import pytest

import llmplan
from llmplan import _request

FUNCTIONS = [
    llmplan.estimate_performance,
    llmplan.estimate_performance_batch,
    llmplan.plan,
    llmplan.recommend,
    llmplan.explain,
    llmplan.compare,
    llmplan.gpus,
    llmplan.models,
]

# keywords that are not fields of a request: the batch's inputs and compare's files
NOT_FIELDS = {"configs", "threads", "result", "log"}

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_every_public_function_is_documented_and_typed(fn):
    doc = inspect.getdoc(fn)
    assert doc and len(doc.splitlines()) >= 1, fn.__name__
    hints = typing.get_type_hints(fn)
    assert "return" in hints, fn.__name__
    for name in inspect.signature(fn).parameters:
        assert name in hints, f"{fn.__name__}({name}) has no type hint"
    params = inspect.signature(fn).parameters
    if len(params) > 2:
        # a function of many settings says which raise and which are answers
        assert "Raises:" in doc and "Returns:" in doc, fn.__name__


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_every_keyword_has_a_type_and_a_request_field(fn):
    for name in inspect.signature(fn).parameters:
        if name in NOT_FIELDS:
            continue
        field = _request.ALIASES.get(name, name)
        assert field in _request.FIELDS or field in ("gpus", "config"), (
            f"{fn.__name__}({name}): add it to FIELDS (or ALIASES) in llmplan/_request.py")


def test_result_types_are_exported_and_documented():
    for cls in (llmplan.PerformanceEstimate, llmplan.Plan, llmplan.Recommendation,
                llmplan.Explanation, llmplan.Comparison, llmplan.GPU, llmplan.Model):
        assert cls.__name__ in llmplan.__all__
        assert inspect.getdoc(cls) and "to_dict" in dir(cls)
        assert callable(getattr(cls, "is_valid"))


def test_the_package_ships_its_type_information():
    here = os.path.dirname(llmplan.__file__)
    assert os.path.isfile(os.path.join(here, "py.typed"))
    assert os.path.isfile(os.path.join(here, "_llmplan.pyi"))


def test_aliases_and_their_field_are_one_setting_in_every_use_case():
    a = llmplan.explain(model_id=LLAMA_8B, gpu_name="H100", tp_size=1, input_length=512,
                        output_length=64, max_concurrency=4)
    b = llmplan.explain(LLAMA_8B, "H100", tensor_parallel_size=1, input_len=512, output_len=64,
                        max_concurrency=4)
    assert a.is_valid(), a.error
    assert a == b
    with pytest.raises(TypeError, match="input_len and input_length are two names"):
        llmplan.explain(LLAMA_8B, "H100", input_len=512, input_length=1024)
    # prompt_tokens (vLLM Wizard) and input_length (config-explorer) name one field
    with pytest.raises(TypeError, match="prompt_tokens and input_length are two names"):
        llmplan.estimate_performance("H100", 7.0, prompt_tokens=100, input_length=200)


def test_a_wrong_type_names_the_keyword_as_the_caller_spelled_it():
    with pytest.raises(TypeError, match=r"^context_len: expected int or str, got float"):
        llmplan.plan(LLAMA_8B, "H100", context_len=4096.0)
    with pytest.raises(TypeError, match=r'^request_rate: expected int or float or "inf"'):
        llmplan.recommend(LLAMA_8B, gpus=["H100"], request_rate="fast")
    with pytest.raises(TypeError, match=r"^tp_size: expected int, got bool"):
        llmplan.estimate_performance(gpu_name="H100", params_b=7.0, tp_size=True)


def test_compare_files_that_cannot_be_read_are_answers(tmp_path):
    missing = tmp_path / "missing.json"
    c = llmplan.compare(str(missing), model=LLAMA_8B, gpu="H100")
    assert not c.is_valid()
    assert c.error == f"cannot open file {missing}: No such file or directory"
    not_json = tmp_path / "result.txt"
    not_json.write_text("nope\n")
    c = llmplan.compare(not_json, model=LLAMA_8B, gpu="H100")
    assert not c.is_valid() and c.error.startswith(f"{not_json}: not a JSON file")
    a_list = tmp_path / "list.json"
    a_list.write_text("[1, 2]\n")
    c = llmplan.compare(a_list, model=LLAMA_8B, gpu="H100")
    assert not c.is_valid() and "expected a JSON object" in c.error
    # a one-line str is a path: a mistyped log path is reported, not read as an empty log
    c = llmplan.compare({"completed": 1}, log=str(tmp_path / "vllm.log"), model=LLAMA_8B,
                        gpu="H100")
    assert not c.is_valid() and c.error.startswith("cannot open file ")
    assert c.to_dict() == {"error": c.error}
    with pytest.raises(TypeError):
        llmplan.compare(42, model=LLAMA_8B, gpu="H100")
