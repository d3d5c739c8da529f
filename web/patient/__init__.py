"""Pages for patients: booking a visit or a course, and everything behind their personal link."""
