"""Moving records in and out: FHIR Bundle/NDJSON import and export, CSV and Excel reports."""
