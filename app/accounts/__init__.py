"""Accounts: users, roles, registration, login, profile."""
