"""The staff calendar: day and week views, today's list, moves and status actions."""
