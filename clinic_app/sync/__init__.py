"""Sync between a workstation and the central platform: shared protocol and client engine."""
