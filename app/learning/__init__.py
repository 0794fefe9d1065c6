"""Learning: courses, modules, lessons, enrolment, reading progress, the catalog."""
