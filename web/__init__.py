"""The Flask front end: patient pages, the JSON API and health; thin over the scheduler core."""
