"""The dispatch benchmark gives a figure only when every message arrived exactly once."""

from __future__ import annotations

import pytest

from bench.messaging import DispatchIncomplete, check_exactly_once


def test_every_message_once_and_every_row_sent_passes() -> None:
    check_exactly_once(10_000, accepted=10_000, distinct=10_000, unsettled=0)


@pytest.mark.parametrize(
    ("accepted", "distinct", "unsettled", "lost", "duplicated", "words"),
    [
        (9_990, 9_990, 10, 10, 0, "10 lost and 0 duplicated at Twilio (10 not yet recorded"),
        (10_003, 10_000, 0, 0, 3, "0 lost and 3 duplicated at Twilio (0 not yet recorded as sent)"),
        # As many arrivals as messages, but three texts twice and three never: still a failure.
        (10_000, 9_997, 0, 3, 3, "3 lost and 3 duplicated at Twilio"),
        (10_000, 10_000, 1, 0, 0, "(1 not yet recorded as sent)"),
    ],
)
def test_a_loss_a_duplicate_or_an_unsent_row_fails_the_run_and_says_so(
    accepted: int, distinct: int, unsettled: int, lost: int, duplicated: int, words: str
) -> None:
    with pytest.raises(DispatchIncomplete) as failed:
        check_exactly_once(10_000, accepted, distinct, unsettled)
    assert (failed.value.lost, failed.value.duplicated) == (lost, duplicated)
    assert words in str(failed.value)
    assert "no figure reported" in str(failed.value)
    assert failed.value.code != 0
