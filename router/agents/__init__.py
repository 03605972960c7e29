"""Agents and admins: accounts, passwords, sign-in sessions and presence."""
