"""The calendar: free time, its snapshot, the staff calendar's read side, feeds, ICS, exports."""
