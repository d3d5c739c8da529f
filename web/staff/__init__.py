"""The staff console: sign-in, calendar, patients, visits, dashboard, exports, feeds, set-up."""
