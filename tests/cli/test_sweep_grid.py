"""Sweep files: grid expansion into validated job bodies, and clear refusals."""

from __future__ import annotations

import pytest

from dsrs_cli.options.job_requests import RequestFieldError, merge, nested_fields
from dsrs_cli.options.sweep_grid import parse_sweep

BASE = {
    "model": "m1",
    "dataset": "digits",
    "stop": 4,
    "family": "general-gaussian",
    "k": 20,
    "n": 100,
}


def test_grid_expands_every_combination_in_order() -> None:
    spec = parse_sweep(
        {
            "base": BASE,
            "grid": {"sigma": [0.25, 0.5], "q_sigma_ratio": [0.8], "n": [100, 200]},
            "radii": [0.25, 0.5],
        }
    )
    labels = [c.label for c in spec.configurations]
    assert labels == [
        "sigma=0.25 q_sigma_ratio=0.8 n=100",
        "sigma=0.25 q_sigma_ratio=0.8 n=200",
        "sigma=0.5 q_sigma_ratio=0.8 n=100",
        "sigma=0.5 q_sigma_ratio=0.8 n=200",
    ]
    last = spec.configurations[-1].body
    assert last["noise"] == {"family": "general-gaussian", "k": 20, "sigma": 0.5}
    assert last["q"] == {"sigma": 0.4} and last["n"] == 200
    assert last["inputs"] == {"dataset": "digits", "stop": 4} and last["model_id"] == "m1"
    assert spec.radii == [0.25, 0.5]


def test_q_axes_and_nested_base() -> None:
    base = {"model_id": "m1", "inputs": {"dataset": "digits"}, "noise": {"sigma": 0.25}}
    spec = parse_sweep({"base": base, "grid": {"q_threshold": [0.5, "x+"], "alpha": [0.01]}})
    assert [c.body["q"] for c in spec.configurations] == [{"threshold": 0.5}, {"threshold": "x+"}]
    np_only = parse_sweep({"base": {**base, "q": {"sigma": 0.2}}, "grid": {"q": ["none"]}})
    assert np_only.configurations[0].body["q"] is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "mapping"),
        ({"base": BASE, "grid": {"sigmas": [1]}}, "unknown grid axis 'sigmas'"),
        ({"base": BASE, "grid": {"sigma": []}}, "has no values"),
        ({"base": BASE}, "'grid' must map"),
        ({"base": BASE, "grid": {"sigma": [0.5]}, "extra": 1}, "unknown sweep keys"),
        ({"base": BASE, "grid": {"sigma": [0.5], "mode": ["guess"]}}, "mode"),
        ({"base": {"model": "m"}, "grid": {"q_sigma_ratio": [0.8]}}, "needs sigma"),
        ({"base": BASE, "grid": {"sigma": [0.5]}, "radii": "0.5"}, "list of numbers"),
    ],
)
def test_refusals_name_the_problem(document: object, message: str) -> None:
    with pytest.raises(RequestFieldError, match=message):
        parse_sweep(document)


def test_flat_fields_and_merge_rules() -> None:
    with pytest.raises(RequestFieldError, match="only one of q_sigma or q_threshold"):
        nested_fields({"q_sigma": 0.2, "q_threshold": 0.5})
    base = {"inputs": {"input_set_id": "s1", "stop": 3}, "noise": {"sigma": 1.0, "k": 0}}
    merged = merge(base, nested_fields({"dataset": "digits", "sigma": 0.5}))
    assert merged == {"inputs": {"dataset": "digits", "stop": 3}, "noise": {"sigma": 0.5, "k": 0}}


def test_a_whole_body_error_has_no_stray_colon(run_cli) -> None:  # type: ignore[no-untyped-def]
    # Issue 21: a model-level refusal (empty location) read "invalid job request: : …".
    result = run_cli(
        None,
        "jobs",
        "submit",
        "--model",
        "ab",
        "--dataset",
        "digits",
        "--sigma",
        "0.25",
        "--baseline",
        "equal-budget",
    )
    message = " ".join(result.stderr.replace("│", " ").split())
    assert result.exit_code == 2 and "invalid job request: Value error, baseline" in message
    assert ": :" not in message


def test_a_single_value_in_a_file_is_a_list_of_one_for_every_list_field() -> None:
    from dsrs_cli.options.job_requests import job_fields

    list_fields = [field for field in job_fields().values() if field.list_item is not None]
    assert {"tags", "target_radii", "levels", "indices"} <= {f.name for f in list_fields}
    for field in list_fields:
        body = nested_fields({field.name: 3})
        for name in field.path[:-1]:
            body = body[name]
        assert body[field.path[-1]] == [3], field.name
