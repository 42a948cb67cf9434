"""The services of :class:`clinic_app.clinic.Clinic`, one module per domain: what a screen, the
CLI, a benchmark or a test calls. Writes return :class:`clinic_app.changes.Done` (the result
and the records changed); reads return records or views."""
