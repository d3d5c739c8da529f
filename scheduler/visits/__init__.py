"""Single visits: booking, review, confirmation, attendance, cancellation, moves, waitlist."""
