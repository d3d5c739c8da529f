"""Setting the clinic up: services, rooms, practitioners, hours, rules, course templates."""
