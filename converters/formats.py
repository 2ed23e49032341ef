"""The formats `build` makes, named apart from build.py so that the command line can list
them without importing Sphinx (a `convert` after an edit must start in a fraction of a second)."""

FORMATS = ("html", "pdf", "epub")
# Above this many articles `build` also writes one PDF per chapter (`--split auto`).
SPLIT_ABOVE = 300
