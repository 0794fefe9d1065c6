"""Notifications: small in-app messages other domains send (certificates, mentors' nudges)."""
