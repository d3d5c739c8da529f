"""Treatment courses: templates, planning, booking, course events, maintenance."""
