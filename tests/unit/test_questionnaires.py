"""MIDAS and HIT-6 scoring: every grade and band boundary, and every way an answer is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.clinical.questionnaire_wording import load_wording
from scheduler.clinical.questionnaires import (
    HIT6_VALUES,
    compare,
    compare_hit6,
    describe_change,
    hit6_band,
    midas_grade,
    score_hit6,
    score_midas,
)
from scheduler.config import ConfigurationError, load_settings
from scheduler.errors import ValidationFailed
from scheduler.models import QuestionnaireKind


def midas(*scored: int | str, a: int | str = 10, b: int | str = 5) -> dict[str, object]:
    return {**{str(n): v for n, v in enumerate(scored, start=1)}, "A": a, "B": b}


def hit6(*values: int | str) -> dict[str, object]:
    return {str(n): v for n, v in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("days", "grade"),
    [(0, "I"), (5, "I"), (6, "II"), (10, "II"), (11, "III"), (20, "III"), (21, "IV"), (270, "IV")],
)
def test_a_midas_score_is_graded_at_each_boundary(days: int, grade: str) -> None:
    first = min(days, 90)
    rest = days - first
    answers = midas(first, 0, min(rest, 90), 0, max(0, rest - 90))
    scored = score_midas(answers)
    assert (scored.score, scored.grade) == (days, grade)
    assert midas_grade(days) == grade


def test_the_midas_score_sums_items_1_to_5_and_leaves_a_and_b_out() -> None:
    scored = score_midas(midas(1, 2, 3, 4, 5, a=60, b=9))
    assert scored.score == 15
    assert scored.answers == {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "A": 60, "B": 9}


def test_form_text_is_read_as_whole_numbers() -> None:
    assert score_midas(midas(" 3", "0", "2 ", "0", "1", a="30", b="7")).score == 6


@pytest.mark.parametrize("code", ["1", "2", "3", "4", "5", "A"])
def test_a_day_count_over_90_is_refused_for_that_item(code: str) -> None:
    answers = midas(0, 0, 0, 0, 0)
    answers[code] = 91
    with pytest.raises(ValidationFailed) as refused:
        score_midas(answers)
    assert refused.value.fields == {code: ["Give a whole number of days from 0 to 90."]}


@pytest.mark.parametrize("bad", [-1, "-1", "2.5", "ten", "1e3", True, 3.0, "٣"])
def test_a_day_count_that_is_not_a_whole_number_from_0_is_refused(bad: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        score_midas(midas(bad, 0, 0, 0, 0))  # type: ignore[arg-type]
    assert list(refused.value.fields) == ["1"]


def test_every_missing_midas_answer_is_named() -> None:
    with pytest.raises(ValidationFailed) as refused:
        score_midas({"1": "", "2": "4"})
    assert set(refused.value.fields) == {"1", "3", "4", "5", "A", "B"}
    assert refused.value.fields["1"] == ["Give a number of days from 0 to 90 (0 if none)."]
    assert refused.value.fields["B"] == ["Give a number from 0 to 10."]


@pytest.mark.parametrize(("pain", "accepted"), [(0, True), (10, True), (11, False)])
def test_average_pain_b_is_from_0_to_10(pain: int, accepted: bool) -> None:
    if accepted:
        assert score_midas(midas(0, 0, 0, 0, 0, b=pain)).answers["B"] == pain
        return
    with pytest.raises(ValidationFailed) as refused:
        score_midas(midas(0, 0, 0, 0, 0, b=pain))
    assert refused.value.fields == {"B": ["Give a whole number from 0 to 10."]}


def test_items_1_and_2_over_90_days_together_are_refused_with_the_reason() -> None:
    assert score_midas(midas(45, 45, 0, 0, 0)).score == 90  # exactly 90 is possible
    with pytest.raises(ValidationFailed) as refused:
        score_midas(midas(50, 41, 0, 0, 0))
    assert refused.value.fields == {
        "2": [
            "Questions 1 and 2 add up to 91 days, more than the 90 days asked about. "
            "Question 2 does not count the days of question 1."
        ]
    }


def test_items_3_and_4_over_90_days_together_are_refused_with_the_reason() -> None:
    with pytest.raises(ValidationFailed) as refused:
        score_midas(midas(0, 0, 90, 1, 0))
    assert list(refused.value.fields) == ["4"]
    assert "Questions 3 and 4 add up to 91 days" in refused.value.fields["4"][0]


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ((6, 6, 6, 6, 6, 6), 36, "little or no impact"),
        ((11, 8, 8, 8, 8, 6), 49, "little or no impact"),
        ((10, 10, 8, 8, 8, 6), 50, "some impact"),
        ((11, 11, 10, 8, 8, 6), 54, "some impact"),
        ((13, 11, 11, 8, 6, 6), 55, "some impact"),
        ((13, 11, 10, 8, 8, 6), 56, "substantial impact"),
        ((13, 13, 11, 10, 6, 6), 59, "substantial impact"),
        ((13, 13, 11, 11, 6, 6), 60, "severe impact"),
        ((13, 13, 13, 13, 13, 13), 78, "severe impact"),
    ],
)
def test_a_hit6_total_is_banded(values: tuple[int, ...], total: int, band: str) -> None:
    scored = score_hit6(hit6(*values))
    assert (scored.score, scored.grade) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (36, "little or no impact"),
        (49, "little or no impact"),
        (50, "some impact"),
        (55, "some impact"),
        (56, "substantial impact"),
        (59, "substantial impact"),
        (60, "severe impact"),
        (78, "severe impact"),
    ],
)
def test_every_hit6_band_boundary(total: int, band: str) -> None:
    assert hit6_band(total) == band


@pytest.mark.parametrize("total", [35, 79])
def test_a_hit6_total_outside_36_to_78_cannot_exist(total: int) -> None:
    with pytest.raises(ValueError):
        hit6_band(total)


def test_every_hit6_item_is_required() -> None:
    with pytest.raises(ValidationFailed) as refused:
        score_hit6({"1": 6, "2": 8, "3": "", "5": 13, "6": 10})
    assert refused.value.fields == {"3": ["Choose one answer."], "4": ["Choose one answer."]}


@pytest.mark.parametrize("bad", [7, "9", 12, 0, "often", "13.0"])
def test_a_hit6_answer_must_be_one_of_the_five_values(bad: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        score_hit6(hit6(6, 6, 6, 6, 6, bad))  # type: ignore[arg-type]
    assert refused.value.fields == {"6": ["Choose one of the answers shown."]}


def test_each_of_the_five_hit6_answers_is_accepted_as_form_text() -> None:
    for value in HIT6_VALUES:
        assert score_hit6(hit6(*[str(value)] * 6)).score == 6 * value


def test_a_hit6_fall_of_5_is_meaningful_and_of_4_is_not() -> None:
    assert compare_hit6(62, 57).meaningful
    assert not compare_hit6(62, 58).meaningful
    assert not compare_hit6(57, 62).meaningful  # a rise is never an improvement
    assert compare_hit6(62, 58, meaningful_fall=4).meaningful  # the clinic's threshold
    change = compare_hit6(62, 56)
    assert (change.difference, change.previous_grade, change.grade) == (
        -6,
        "severe impact",
        "substantial impact",
    )


def test_changes_are_put_in_plain_words() -> None:
    hit = QuestionnaireKind.HIT6
    assert describe_change(hit, compare(hit, 62, 56), 5) == (
        "6 points lower than last time (62). A fall of 5 points or more is a real improvement."
    )
    assert "can come and go" in describe_change(hit, compare(hit, 62, 59), 5)
    assert describe_change(hit, compare(hit, 50, 51), 5) == "1 point higher than last time (50)."
    mid = QuestionnaireKind.MIDAS
    assert describe_change(mid, compare(mid, 24, 9), 5) == (
        "15 fewer days affected than last time (24, grade IV). Your grade moved from IV to II."
    )


def test_the_packaged_wording_fits_the_scoring() -> None:
    wording = load_wording()
    midas_items = [i.code for i in wording[QuestionnaireKind.MIDAS].items]
    assert midas_items == ["1", "2", "3", "4", "5", "A", "B"]
    hit = wording[QuestionnaireKind.HIT6]
    assert [i.code for i in hit.items] == ["1", "2", "3", "4", "5", "6"]
    assert [(o.value, o.label) for o in hit.options] == [
        (6, "Never"),
        (8, "Rarely"),
        (10, "Sometimes"),
        (11, "Very often"),
        (13, "Always"),
    ]
    assert "licensed" in hit.licence_note
    assert wording[QuestionnaireKind.MIDAS].recall == "the last 3 months"


def test_a_clinic_loads_its_own_wording_from_questionnaires_file(tmp_path: Path) -> None:
    data = json.loads(
        (Path(__file__).parents[2] / "scheduler/data/questionnaires.json").read_text()
    )
    data["hit6"]["items"][0]["text"] = "Licensed wording of item one"
    path = tmp_path / "licensed.json"
    path.write_text(json.dumps(data))
    settings = load_settings({"INSTANCE_PATH": str(tmp_path), "QUESTIONNAIRES_FILE": str(path)})
    assert settings.questionnaires_file == str(path)
    hit = load_wording(settings.questionnaires_file)[QuestionnaireKind.HIT6]
    assert hit.items[0].text == "Licensed wording of item one"


def test_a_wording_file_that_does_not_fit_the_scoring_is_refused(tmp_path: Path) -> None:
    data = json.loads(
        (Path(__file__).parents[2] / "scheduler/data/questionnaires.json").read_text()
    )
    data["hit6"]["options"][4]["value"] = 12
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError, match="6, 8, 10, 11, 13"):
        load_wording(str(path))
    del data["midas"]["items"][6]
    data["hit6"]["options"][4]["value"] = 13
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError, match="1, 2, 3, 4, 5, A, B"):
        load_wording(str(path))
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_wording(str(tmp_path / "missing.json"))


def test_the_meaningful_change_is_configurable(tmp_path: Path) -> None:
    assert load_settings({"INSTANCE_PATH": str(tmp_path)}).hit6_meaningful_change == 5
    env = {"INSTANCE_PATH": str(tmp_path), "HIT6_MEANINGFUL_CHANGE": "6"}
    assert load_settings(env).hit6_meaningful_change == 6
    with pytest.raises(ConfigurationError):
        load_settings({**env, "HIT6_MEANINGFUL_CHANGE": "five"})
