# kexue-book — two commands do all set-up:
#   make book   build the book from sources/ (creates .venv on first use)
#   make test   run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SOURCES ?= sources

.PHONY: book html test clean distclean

$(STAMP): pyproject.toml
	scripts/debian-deps base
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

book: html

html: $(STAMP)
	$(BIN)/kexue-book build $(SOURCES) --format html

test: $(STAMP)
	scripts/debian-deps test
	$(BIN)/python -m pytest

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)
