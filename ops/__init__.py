"""Running the system: embedded services for development and tests, and the process supervisor."""
