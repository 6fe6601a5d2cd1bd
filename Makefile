# Two commands for people: `make run` and `make test`. Both set everything up from nothing
# (virtual environment, the app, the default model) and are quick when it is already done.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := resources/models/all-MiniLM-L6-v2.F16.gguf

PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: setup run test soak lint bench bench-quality bench-builds bench-ocr screenshots package package-test clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

$(MODEL): | $(STAMP)
	$(BIN)/desktop-search models install-default

setup: $(STAMP) $(MODEL)

# Qt's xcb plugin needs system libraries a plain install may lack (libxcb-cursor0, ...):
# checked first, so a missing one is named with the command that installs it.
run: setup
	@$(BIN)/python -m desktop_app.qt_deps
	$(BIN)/desktop-search

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --timeout=600

# Every reliability test, the long (soak) ones too, recording the figures of docs/RELIABILITY.md.
soak: setup
	DS_RECORD_FIGURES=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/reliability -m ""
	$(BIN)/python -m tests.reliability.report

# Benchmarks are not part of `make test`; results go to docs/benchmarks/ and docs/BENCHMARKS.md.
bench: setup
	$(BIN)/python -m tests.benchmarks.bench_embedding
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.benchmarks.bench_indexing
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.benchmarks.bench_idle
	$(BIN)/python -m tests.benchmarks.bench_search
	$(BIN)/python -m tests.benchmarks.bench_quality --levers
	$(BIN)/python -m tests.benchmarks.report

# OCR engines on generated pages (about 17 minutes; tesseract needs the system tesseract-ocr and
# pytesseract; the 1.4 RapidOCR comparison a venv given as RAPIDOCR14_PYTHON).
OCR_WITH_14 := --engines rapidocr3-lean,rapidocr3,tesseract,rapidocr --rapidocr14-python
bench-ocr: setup
	$(BIN)/python -m tests.benchmarks.bench_ocr --merge $(if $(RAPIDOCR14_PYTHON),$(OCR_WITH_14) $(RAPIDOCR14_PYTHON))
	$(BIN)/python -m tests.benchmarks.bench_ocr_search
	$(BIN)/python -m tests.benchmarks.bench_ocr_yield
	$(BIN)/python -m tests.benchmarks.report

# Ranking quality on a test collection (CACM beside the checkout by default; any SMART or
# BEIR folder with COLLECTION=path): nDCG@10 and recall@10 per mode, weak-match figures and
# one row per ranking lever. About 5 minutes here.
COLLECTION ?=
bench-quality: setup
	$(BIN)/python -m tests.benchmarks.bench_quality --levers $(if $(COLLECTION),--collection $(COLLECTION))
	$(BIN)/python -m tests.benchmarks.report

# The build-option levers of the embedding benchmark: llama-cpp-python rebuilt with OpenBLAS
# (Debian: libopenblas-dev) and without OpenMP, about 10 minutes each, so not in `make bench`.
bench-builds: setup
	$(BIN)/python -m tests.benchmarks.bench_builds
	$(BIN)/python -m tests.benchmarks.report

# The README's picture of the real window, rendered offscreen (no display needed).
# The README's gallery, from the real window under a real X server (Xvfb and openbox are started
# when there is no DISPLAY: apt-get install xvfb openbox).
screenshots: setup
	$(BIN)/python -m tests.gallery docs/screenshots

# Installers: the PyInstaller bundle, then the .tar.gz and .deb (Linux); see packaging/README.md.
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,package]'
	@touch $@

package: setup $(PACKAGE_STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/desktop-search.spec
	$(BIN)/python packaging/linux.py

# Runs the frozen app (bundle and unpacked .deb): --version, self-test, gui --smoke-test.
package-test:
	$(BIN)/python packaging/smoke_test.py

lint: setup
	$(BIN)/ruff check desktop_app tests packaging
	$(BIN)/ruff format --check desktop_app tests packaging
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
