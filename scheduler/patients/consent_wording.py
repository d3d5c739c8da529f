"""The exact wording patients agree to; recorded with every consent answer."""

from __future__ import annotations

from scheduler.models import ConsentKind

WORDING: dict[ConsentKind, str] = {
    ConsentKind.REMINDERS: (
        "Text me about my appointments: a confirmation, reminders before each visit and a link to "
        "manage them. Message frequency varies. Reply STOP to stop at any time."
    ),
    ConsentKind.DIARY_PROMPTS: (
        "Text me a short daily question for my symptom diary, which I can answer by replying. "
        "Reply STOP to stop at any time."
    ),
    ConsentKind.EMAIL: (
        "Email me about my appointments: a confirmation with a calendar invite and reminders "
        "before each visit. Every email has a link to stop them at any time."
    ),
}
