# kexue-book — two commands do all set-up:
#   make book   build the book from sources/ as HTML, PDF and EPUB (creates .venv on first use)
#   make test   run every test
#   make html / make pdf / make epub   one format only
#   make serve  live preview on http://127.0.0.1:8000 (HOST=, PORT= to change)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SOURCES ?= sources

HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: book html pdf epub serve test clean distclean

$(STAMP): pyproject.toml
	scripts/debian-deps base
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

book: $(STAMP)
	scripts/debian-deps book
	$(BIN)/kexue-book build $(SOURCES) --format all

html: $(STAMP)
	$(BIN)/kexue-book build $(SOURCES) --format html

pdf epub: $(STAMP)
	scripts/debian-deps book
	$(BIN)/kexue-book build $(SOURCES) --format $@

# Live preview: rebuilds the HTML when a source, a page or kexue-book.yaml changes.
serve: $(STAMP)
	$(BIN)/kexue-book serve $(SOURCES) --host $(HOST) --port $(PORT)

test: $(STAMP)
	scripts/debian-deps test
	$(BIN)/python -m pytest

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)
