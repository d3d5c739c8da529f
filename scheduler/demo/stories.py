"""The demo clinic's patients: who they are, which course, how far along, how their diary reads."""

from __future__ import annotations

from dataclasses import dataclass, field

PHONE_PREFIX = "+447400900"  # + three digits: valid UK mobile numbers, one per demo patient


@dataclass(frozen=True)
class DiaryPlan:
    """How a patient keeps their diary: by web or SMS, from when, and how many headache days
    (and days of medicine) fall in each 28-day window, the last count repeating.

    ``anchor`` says where the windows start: at the first visit (``visit``), so that the
    baseline is the 28 days before it, or ending today (``today``), as the overuse rule counts.
    """

    source: str  # web or sms
    starts_days: int  # days before the first visit (negative: after it)
    headache_days: tuple[int, ...]
    medicine_days: tuple[int, ...]
    medicine_class: str | None = "triptan"  # None: an SMS "M", the kind not given
    anchor: str = "visit"
    recorded_share: float = 0.9


@dataclass(frozen=True)
class Story:
    """One patient's course: its template, the first visit's day relative to today, and
    what happened at its visits (by visit number)."""

    first_name: str
    last_name: str
    template: str
    first_visit_days: int  # days from today (negative: in the past)
    hour: int
    practitioner: str
    weekdays: tuple[int, ...]
    missed: frozenset[int] = frozenset()
    cancelled: frozenset[int] = frozenset()
    cancelled_late: frozenset[int] = frozenset()
    stopped_after: int | None = None  # the course stopped after this visit number
    diary: DiaryPlan | None = None
    questionnaires: bool = False
    sms_replies: tuple[str, ...] = field(default=())  # "C": a visit confirmed by text
    email: str | None = None  # given at booking, with consent to email

    @property
    def diary_prompts(self) -> bool:
        return self.diary is not None and self.diary.source == "sms"


MEI = "Dr Mei Lin"
SARA = "Sara Novak"

# A clear responder: about 12 headache days a month before treatment, 4 by weeks 9-12.
RESPONDER = DiaryPlan("web", 30, (12, 9, 6, 4), (6, 4, 3, 2))
# Medication overuse: triptans on 10 or more days in each of the last three months.
OVERUSE = DiaryPlan("web", 10, (18,), (12,), anchor="today", recorded_share=0.95)
SMS_STEADY = DiaryPlan("sms", -2, (7, 6, 5), (3, 2, 2), medicine_class=None, recorded_share=0.8)

STORIES: tuple[Story, ...] = (
    Story("Hannah", "Price", "migraine", -88, 10, MEI, (0, 3), missed=frozenset({7}),
          diary=RESPONDER, questionnaires=True),
    Story("Olivia", "Bennett", "dry_needling", -82, 11, SARA, (1,), cancelled=frozenset({4})),
    Story("Gareth", "Hughes", "tension", -74, 14, SARA, (1, 4), diary=OVERUSE,
          questionnaires=True, cancelled_late=frozenset({6})),
    Story("Ben", "Carter", "tension", -60, 15, MEI, (2, 4), stopped_after=4,
          missed=frozenset({3})),
    Story("Sam", "Taylor", "tension", -45, 9, MEI, (0, 2), missed=frozenset({5}),
          cancelled=frozenset({3}), questionnaires=True, sms_replies=("C",)),
    Story("Priya", "Shah", "acupuncture_tuina", -32, 11, MEI, (1, 3), diary=SMS_STEADY,
          questionnaires=True, sms_replies=("C",)),
    Story("Chloe", "Evans", "dry_needling", -22, 16, SARA, (3,),
          email="chloe.evans@example.org"),
    Story("Aisha", "Khan", "migraine", -11, 14, SARA, (0, 3), diary=SMS_STEADY,
          questionnaires=True),
    Story("Daniel", "Murphy", "migraine", -3, 9, MEI, (2, 4), questionnaires=True,
          email="daniel.murphy@example.org"),
    Story("Ruth", "Allen", "acupuncture_tuina", 2, 10, MEI, (1, 3), email="ruth.allen@example.org"),
)  # fmt: skip

# A new patient whose safety screen asked for a practitioner's review first.
REVIEW_PATIENT = ("Mark", "Wilson")
# A patient of single visits who asks for an earlier time (the waitlist).
WAITLIST_PATIENT = ("Leah", "Morgan")


def phone(index: int) -> str:
    """The demo patient's mobile number, one per patient."""
    return f"{PHONE_PREFIX}{index:03d}"
