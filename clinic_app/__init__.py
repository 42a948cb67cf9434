"""Clinic workstation core: FHIR R4 records, services, sync engine and the command line.

``__version__`` below is the one place the version is written: pyproject.toml reads it
(``[tool.setuptools.dynamic]``), so do the installers (installers/clinic-app.spec,
installers/linux/build.py) and the central platform (its default minimum client version);
``clinic-app --version`` and the About dialog show it; every request to the central platform
carries it (``X-Client-Version``).
"""

__version__ = "0.1.0"

__all__ = ["Clinic", "__version__"]


def __getattr__(name: str) -> object:
    # `from clinic_app import Clinic` without making every importer of clinic_app (the central
    # platform among them) load the encrypted store.
    if name == "Clinic":
        from clinic_app.clinic import Clinic

        return Clinic
    raise AttributeError(name)
