"""Clinic workstation core: FHIR R4 records, services, sync engine and the command line."""

__version__ = "0.1.0"
