"""Reusable launchers for tests: a real PostgreSQL server and a real ``clinic-central`` process."""
