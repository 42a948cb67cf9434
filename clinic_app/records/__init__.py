"""FHIR R4 resources of the clinic with typed helpers that build and read them."""
