"""Bibliography styles for a Chinese book (pybtex styles used by sphinxcontrib-bibtex).

* Names are separated by commas only: no bare English "and" inside Chinese text
  (`D. P. Kingma, M. Welling`); after six authors the list ends in 等 (GB/T 7714's way).
* Labels are numbers in brackets, everywhere.
* `kexue`: entries in order of first citation (each article's own list);
  `kexue_sorted`: by first author's surname, year, title (the book's list).
"""

from __future__ import annotations

from functools import lru_cache

from pybtex.plugin import find_plugin, register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.template import FieldIsMissing, join, node, sentence
from sphinx.application import Sphinx

MAX_NAMES = 6


@node
def comma_names(children, context, role, max_names=MAX_NAMES):
    """Names joined by commas; more than `max_names` are cut and end in 等."""
    assert not children
    try:
        persons = context["entry"].persons[role]
    except KeyError:
        raise FieldIsMissing(role, context["entry"]) from None
    style = context["style"]
    # BibTeX's `and others` is a person named "others": it too becomes 等.
    real = [p for p in persons if str(p).strip().lower() != "others"]
    shown = [style.format_name(person, style.abbreviate_names) for person in real[:max_names]]
    if len(real) > max_names or len(real) < len(persons):
        shown.append(Text("等"))
    return join(sep=", ")[shown].format_data(context)


@lru_cache(maxsize=None)
def _plugin(group: str, name: str | None):
    return find_plugin(group, name)()


class KexueStyle(UnsrtStyle):
    default_sorting_style = "none"
    default_label_style = "number"

    def __init__(self, label_style=None, name_style=None, sorting_style=None, abbreviate_names=False,
                 min_crossrefs=2, **kwargs):
        # sphinxcontrib-bibtex makes a style for every {footcite}, and pybtex looks its name,
        # label and sorting plugins up among all installed packages' entry points each time
        # (15 ms: half of reading a page).  The plugins keep no state, so one of each serves.
        self.name_style = _plugin("pybtex.style.names", name_style or self.default_name_style)
        self.label_style = _plugin("pybtex.style.labels", label_style or self.default_label_style)
        self.sorting_style = _plugin("pybtex.style.sorting", sorting_style or self.default_sorting_style)
        self.format_name = self.name_style.format
        self.format_labels = self.label_style.format_labels
        self.sort = self.sorting_style.sort
        self.abbreviate_names = abbreviate_names
        self.min_crossrefs = min_crossrefs

    def format_names(self, role, as_sentence=True):
        formatted = comma_names(role)
        return sentence[formatted] if as_sentence else formatted


class KexueSortedStyle(KexueStyle):
    default_sorting_style = "author_year_title"


def setup(app: Sphinx) -> dict:
    register_plugin("pybtex.style.formatting", "kexue", KexueStyle)
    register_plugin("pybtex.style.formatting", "kexue_sorted", KexueSortedStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
