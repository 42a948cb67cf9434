# Two commands for a fresh machine: `make demo` (set up and run the product) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PROFILE ?= .demo/profile
DEMO_PASSPHRASE ?= demo-passphrase-2026

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck unit bench clean venv sysdeps guideps installer lock

# System packages the tests need: a PostgreSQL server (initdb), faketime (clock skew tests),
# coturn (the TURN relay the call tests start on loopback), iproute2 (network namespaces for the
# call tests' link emulator, tests/support/link_emulator.py), chromium (Playwright drives it in
# tests/e2e/test_desk_browser.py: no browser download),
# and what Qt needs to run offscreen. What the window needs on the xcb platform (a real display)
# is read from PySide6's plugin with ldd by `make guideps` (ui/platform_libs.py), not listed here.
QT_DEBS := libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-wqy-microhei
# tests/ui/test_xcb_window.py starts the workstation on a virtual X server (Xvfb) and finds its
# window with xdotool.
XCB_TEST_DEBS := xvfb xdotool
# PortAudio plays the other side of a call (media/playback.py); the playback test plays into a
# file-backed ALSA PCM paced by a private PulseAudio null sink (tests/support/sound.py).
SOUND_DEBS := libportaudio2 pulseaudio libasound2-plugins
# make installer: PyInstaller reads shared-library dependencies with objdump (binutils);
# dpkg-deb builds the .deb; systemd-analyze (systemd) checks the central platform's unit.
INSTALLER_DEBS := binutils dpkg systemd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

sysdeps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing="$$missing postgresql"; \
	command -v faketime >/dev/null || missing="$$missing faketime"; \
	command -v turnserver >/dev/null || missing="$$missing coturn"; \
	command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || missing="$$missing haproxy"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	for deb in $(QT_DEBS) $(SOUND_DEBS) $(INSTALLER_DEBS) $(XCB_TEST_DEBS); do dpkg -s $$deb >/dev/null 2>&1 || missing="$$missing $$deb"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(STAMP)

# Two distributions, both editable: the workstation (pyproject.toml, with the tools) and the
# central platform server (central/pyproject.toml, clinic-central).
$(STAMP): pyproject.toml central/pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]' -e ./central
	touch $(STAMP)

# Pin what is installed now (after a dependency changed in pyproject.toml and `make venv`).
lock: $(STAMP)
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^#'; } > constraints.new
	mv constraints.new constraints.txt

# The system libraries of Qt's xcb platform plugin (read with ldd), a CJK font and PortAudio:
# installed with apt-get when missing (as root, or with sudo), then checked again.
guideps: $(STAMP)
	$(BIN)/python -m ui.platform_libs --install

demo: $(STAMP) guideps
	CLINIC_PASSPHRASE=$(DEMO_PASSPHRASE) $(BIN)/python -m clinic_app.demo --profile $(DEMO_PROFILE) $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two runs: the tests not marked `serial` on $(TEST_WORKERS) pytest-xdist workers (more than the
# cores: many tests wait on processes, sockets and disks), then the `serial` ones alone (real-time
# measurements: calls over the link emulator, event-loop stalls, timing bounds; tests/conftest.py
# lists them, and groups on one worker the tests that share files). Both always run; either
# failing fails the target.
TEST_WORKERS ?= 4
# Wall-clock guards: a run that hangs is interrupted (pytest prints what it had) and fails.
PARALLEL_LIMIT ?= 40m
SERIAL_LIMIT ?= 30m
unit: $(STAMP)
	@status=0; \
	timeout -s INT -k 60 $(PARALLEL_LIMIT) $(BIN)/python -m pytest -q --durations=30 -n $(TEST_WORKERS) --dist loadgroup -m "not serial" || status=$$?; \
	timeout -s INT -k 60 $(SERIAL_LIMIT) $(BIN)/python -m pytest -q --durations=30 -m serial || status=$$?; \
	exit $$status

# The Linux bundle (.tar.gz + .deb in dist/installer/); skipped when its inputs are unchanged
# (installers/linux/build.py). tests/installers/ runs what it built.
installer: $(STAMP) sysdeps
	nice -n 10 $(BIN)/python installers/linux/build.py

test: sysdeps guideps lint typecheck installer unit

bench: $(STAMP)
	$(BIN)/python -m bench.store

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache build/installer dist/installer

# Chinese translation: collect the UI strings, fill translations, add the core's messages, compile.
.PHONY: i18n
i18n: $(STAMP)
	$(BIN)/pyside6-lupdate ui/*.py -ts ui/i18n/clinic_zh_CN.ts -target-language zh_CN
	$(BIN)/python ui/i18n/fill.py
	$(BIN)/python ui/i18n/core_messages.py
	$(BIN)/pyside6-lrelease ui/i18n/clinic_zh_CN.ts -qm ui/i18n/clinic_zh_CN.qm
