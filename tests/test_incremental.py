"""Convert after an edit (converters/incremental.py) equals a whole-book convert.

Each edit below is made to a project converted before; the project is converted again (the
changed sources alone, or the whole book when the edit touches what other pages depend on)
and compared with a fresh project converted from the same sources once: every file of book/
byte for byte, and every warning.  The edits are those an author makes: text added, a formula
with a label and its \\eqref, a citation, a link to another article, a new title, a first
paragraph rewritten, a scrape edited, a file added, and one edit after another.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from converters.book import is_generated
from converters.config import CONFIG_NAME, load_config
from converters.convert import ConvertResult, convert_book

from conftest import CORPUS, ROOT, new_project

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS} (it lives in shared/)")


def _convert(project: Path, monkeypatch) -> ConvertResult:
    monkeypatch.chdir(project)  # sources are named relative to the working directory in warnings
    config = load_config(project / CONFIG_NAME)
    return convert_book([project / "sources"], config, project / "book", project / "_build")


def _files(book: Path) -> dict[str, bytes]:
    return {p.relative_to(book).as_posix(): p.read_bytes() for p in sorted(book.rglob("*")) if p.is_file()}


def _project(dest: Path, scrapes: bool = True) -> Path:
    project = new_project(dest)
    sources = project / "sources"
    sources.mkdir()
    for path in sorted(CORPUS.glob("*.md")):
        shutil.copy(path, sources / path.name)
    if scrapes:  # listing scrapes: excerpts merged into articles, and untitled ones (003)
        for path in [p for p in sorted((ROOT / "sources").glob("*.txt")) if p.name[:3] in ("000", "001", "003")]:
            shutil.copy(path, sources / path.name)
    return project


def _append(name: str, text: str):
    def edit(sources: Path) -> None:
        with (sources / name).open("a", encoding="utf-8") as f:
            f.write(text)
    return edit


def _replace(name: str, old: str, new: str):
    def edit(sources: Path) -> None:
        path = sources / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


def _scrape_edit(sources: Path) -> None:
    path = sorted(sources.glob("*.txt"))[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(len(lines) // 2, "这一行是测试在列表页里加上的文字。")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _new_file(sources: Path) -> None:
    (sources / "99999.md").write_text('---\ntitle: "新的一篇"\ndate: "2024-01-02"\nurl: '
                                      '"https://kexue.fm/archives/99999"\n---\n\n新文章的正文。\n', encoding="utf-8")


# (name, edit, whether only the changed source is converted)
EDITS = [
    ("text appended", _append("8404.md", "\n\n加上的一段，有公式$x_1+y_2$。\n"), True),
    ("labelled formula and its eqref", _append("7381.md", "\n\n$$a+b=c\\label{eq:new-one}$$\n\n由\\eqref{eq:new-one}可知。\n"), True),
    ("an unknown eqref (a warning of that source)", _append("7381.md", "\n\n见\\eqref{eq:nowhere}。\n"), True),
    ("a warning taken away again", _replace("7381.md", "见\\eqref{eq:nowhere}。", "见上文。"), True),
    ("a paper cited again, as before", _append("5716.md", "\n\n再看[《On Unifying Deep Generative Models》](https://papers.cool/arxiv/1706.00550)。\n"), False),
    ("a new paper cited", _append("8404.md", "\n\n参考[《A New Paper》](https://arxiv.org/abs/2101.00001)。\n"), False),
    ("a link to another article", _append("9152.md", "\n\n另见[《变分自编码器（七）：球面上的VAE（vMF-VAE）》](https://kexue.fm/archives/8404)。\n"), False),
    ("a title changed", _replace("10563.md", "title: \"", "title: \"改过的标题："), False),
    ("the first paragraph rewritten", _replace("4493.md", "\n\n", "\n\n开头加上的几个字。", ), False),
    ("a listing scrape edited", _scrape_edit, None),
    ("a source added", _new_file, False),
    ("text appended again", _append("8404.md", "\n\n又加上的一段。\n"), True),
    # What other pages read of a page, changed without a change of its links, meta or opening:
    ("a work named without a link (the registry asks)", _append("4493.md", "\n\n另见《Dynamic Routing Between "
                                                                 "Capsules》。\n"), False),
    ("another article named in the text", _append("8404.md", "\n\n另见《变分自编码器（五）：VAE + BN = 更好的VAE》。\n"),
     True),
    ("a link whose text names another article", _append("9152.md", "\n\n[《变分自编码器（五）：VAE + BN = 更好的VAE》]"
                                                        "(https://example.com/x)\n"), False),
    ("a heading", _append("8404.md", "\n\n## 新的小节\n\n小节的正文。\n"), True),
    ("a date a merged copy overrides", _replace("8404.md", 'date: "2021-05-17"', 'date: "2015-01-01"'), True),
    ("two sources at once", lambda sources: (_append("8404.md", "\n\n甲。\n")(sources),
                                             _append("7381.md", "\n\n乙。\n")(sources)), True),
    ("bytes that are not UTF-8", lambda sources: (sources / "7846.md").write_bytes(
        (sources / "7846.md").read_bytes() + b"\n\n\xff\xfe\n"), True),
    ("a source renamed", lambda sources: (sources / "7846.md").rename(sources / "7847.md"), False),
    ("a source emptied", lambda sources: (sources / "7847.md").write_bytes(b""), False),
    ("a source made binary", lambda sources: (sources / "7847.md").write_bytes(b"\0\1\2" * 50), False),
    ("a title made a duplicate of another's", _replace("9775.md", "title: \"", 'title: "变分自编码器（五）：VAE + BN = '
                                                       '更好的VAE"\nx: "'), False),
    ("a category changed (another chapter)", _replace("5112.md", 'category: "', 'category: "别的'), False),
]


def test_a_convert_after_each_edit_equals_a_whole_book_convert(tmp_path: Path, monkeypatch) -> None:
    project = _project(tmp_path / "edited")
    first = _convert(project, monkeypatch)
    assert first.incremental == 0 and not first.skipped
    for k, (name, edit, incremental) in enumerate(EDITS):
        edit(project / "sources")
        result = _convert(project, monkeypatch)
        if incremental is not None:
            assert (result.incremental > 0) == incremental, name
        fresh = tmp_path / f"fresh{k}"
        new_project(fresh)
        shutil.copytree(project / "sources", fresh / "sources")
        cold = _convert(fresh, monkeypatch)
        assert cold.incremental == 0
        assert _files(project / "book") == _files(fresh / "book"), name
        assert [str(d) for d in result.diagnostics] == [str(d) for d in cold.diagnostics], name
        assert (result.chapters, result.articles, result.citations) == (cold.chapters, cold.articles,
                                                                        cold.citations), name
        again = _convert(project, monkeypatch)
        assert again.skipped and [str(d) for d in again.diagnostics] == [str(d) for d in cold.diagnostics], name


def test_the_opening_words_matter_only_in_a_book_with_untitled_excerpts(tmp_path: Path, monkeypatch) -> None:
    """An untitled excerpt joins the article it is the opening of: in a book without any, an
    edit of the first paragraph is an edit like another."""
    project = _project(tmp_path / "p", scrapes=False)
    _convert(project, monkeypatch)
    _replace("4493.md", "\n\n", "\n\n开头加上的几个字。")(project / "sources")
    result = _convert(project, monkeypatch)
    assert result.incremental == 1
    _same_as_a_fresh_convert(project, tmp_path, monkeypatch, result, "first paragraph")


def test_only_the_changed_page_is_written(tmp_path: Path, monkeypatch) -> None:
    project = _project(tmp_path / "p")
    _convert(project, monkeypatch)
    before = {p: p.stat().st_mtime_ns for p in (project / "book").rglob("*.md")}
    _append("8404.md", "\n\n加上的一段。\n")(project / "sources")
    result = _convert(project, monkeypatch)
    assert result.incremental == 1 and result.written == 1
    touched = [p for p, t in before.items() if p.stat().st_mtime_ns != t]
    assert [p.name for p in touched] == ["a8404.md"]
    assert "加上的一段" in touched[0].read_text(encoding="utf-8")


def test_a_page_edited_by_hand_makes_the_whole_book_convert(tmp_path: Path, monkeypatch) -> None:
    """The last convert's pages must be as it left them for it to write only one."""
    project = _project(tmp_path / "p")
    _convert(project, monkeypatch)
    chapter_page = next((project / "book").glob("*/index.md"))
    chapter_page.write_text(chapter_page.read_text(encoding="utf-8") + "\n手改的。\n", encoding="utf-8")
    _append("8404.md", "\n\n加上的一段。\n")(project / "sources")
    result = _convert(project, monkeypatch)
    assert result.incremental == 0
    assert "手改的" not in chapter_page.read_text(encoding="utf-8")


def test_a_changed_configuration_makes_the_whole_book_convert(tmp_path: Path, monkeypatch) -> None:
    project = _project(tmp_path / "p")
    _convert(project, monkeypatch)
    config = project / CONFIG_NAME
    config.write_text(config.read_text(encoding="utf-8").replace("科学空间", "科学空间书", 1), encoding="utf-8")
    _append("8404.md", "\n\n加上的一段。\n")(project / "sources")
    assert _convert(project, monkeypatch).incremental == 0


def _same_as_a_fresh_convert(project: Path, tmp_path: Path, monkeypatch, result: ConvertResult, name: str) -> None:
    """book/ and the warnings of `result` are those of a fresh project converted from the same
    sources (and the same hand-kept files of book/: references.bib, images, pages of yours)."""
    fresh = new_project(tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}")
    shutil.copytree(project / "sources", fresh / "sources")
    for path in (project / "book").rglob("*"):
        if path.is_file() and not is_generated(path):
            target = fresh / "book" / path.relative_to(project / "book")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    cold = _convert(fresh, monkeypatch)
    assert _files(project / "book") == _files(fresh / "book"), name
    assert [str(d) for d in result.diagnostics] == [str(d) for d in cold.diagnostics], name


def test_a_file_no_reader_takes_is_warned_about_after_an_edit(tmp_path: Path, monkeypatch) -> None:
    """A file of an unknown format added to (or taken from) the sources is in no page but in the
    warnings: it must not be left out by a convert of the changed sources alone, nor by the stamp."""
    project = _project(tmp_path / "p")
    _convert(project, monkeypatch)
    (project / "sources" / "notes.docx").write_bytes(b"PK\3\4")
    _same_as_a_fresh_convert(project, tmp_path, monkeypatch, _convert(project, monkeypatch), "docx added")
    _append("8404.md", "\n\n加上的一段。\n")(project / "sources")
    (project / "sources" / "notes.docx").unlink()
    (project / "sources" / "more.docx").write_bytes(b"PK\3\4")
    _same_as_a_fresh_convert(project, tmp_path, monkeypatch, _convert(project, monkeypatch), "edit, docx renamed")


def test_a_convert_from_another_folder_or_with_a_damaged_state_equals_a_whole_book_convert(
        tmp_path: Path, monkeypatch) -> None:
    """Sources are named relative to the working directory: a convert run from elsewhere names
    them otherwise (and converts the whole book); a state file cut short, emptied or replaced
    by other bytes is no state."""
    project = _project(tmp_path / "p")
    _convert(project, monkeypatch)
    _append("8404.md", "\n\n加上的一段。\n")(project / "sources")
    monkeypatch.chdir(project / "sources")
    elsewhere = convert_book([project / "sources"], load_config(project / CONFIG_NAME), project / "book",
                             project / "_build")
    assert elsewhere.incremental == 0 and any(str(d).startswith(("000_", "001_", "003_")) for d in elsewhere.diagnostics)
    _append("8404.md", "\n\n又加上的一段。\n")(project / "sources")
    _same_as_a_fresh_convert(project, tmp_path, monkeypatch, _convert(project, monkeypatch), "back home")
    state = project / "_build" / "cache" / "convert-state.pickle"
    whole = state.read_bytes()
    for k, damaged in enumerate([whole[:len(whole) // 2], whole[:-1], b"", b"not a pickle"]):
        state.write_bytes(damaged)
        _append("8404.md", f"\n\n第{k}段。\n")(project / "sources")
        result = _convert(project, monkeypatch)
        assert result.incremental == 0
        _same_as_a_fresh_convert(project, tmp_path, monkeypatch, result, f"damaged state {k}")


def test_a_page_of_yours_where_the_changed_source_s_page_goes(tmp_path: Path, monkeypatch) -> None:
    """A page of yours (no `generator: kexue-book`) where the changed source's page would be
    written: kept, with its KB117 warning, whether it came before the edit or after."""
    project = _project(tmp_path / "p")
    _convert(project, monkeypatch)
    page = next((project / "book").rglob("a8404.md"))
    page.write_text("# 我自己写的一页\n", encoding="utf-8")
    _append("8404.md", "\n\n加上的一段。\n")(project / "sources")
    _same_as_a_fresh_convert(project, tmp_path, monkeypatch, _convert(project, monkeypatch), "page of yours")
    _append("8404.md", "\n\n又加上的一段。\n")(project / "sources")
    result = _convert(project, monkeypatch)
    assert result.incremental == 1 and page.read_text(encoding="utf-8") == "# 我自己写的一页\n"
    assert any(d.code.value == "KB117" for d in result.diagnostics)
    _same_as_a_fresh_convert(project, tmp_path, monkeypatch, result, "page of yours, then an edit")
