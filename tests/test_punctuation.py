"""The blog's full-width punctuation in text from the plain-text scrapes (readers/cjk_punctuation.py)."""

from __future__ import annotations

import pytest

from converters.diagnostics import Reporter
from converters.model import Math, Paragraph, Text, plain_text
from converters.config import load_config
from converters.pipeline import load_book
from converters.readers.cjk_punctuation import restore_fullwidth
from converters.readers.plain_inlines import parse_plain_inlines

from conftest import CORPUS, ROOT
from punctuation_agreement import measure


def _text(line: str) -> str:
    return plain_text(parse_plain_inlines(line, None, Reporter()))


@pytest.mark.parametrize("scraped, shown", [
    ("我们知道,VAE的训练目标是", "我们知道，VAE的训练目标是"),
    ("在《变分自编码器(五):VAE + BN = 更好的VAE》中,我们讲到了", "在《变分自编码器（五）：VAE + BN = 更好的VAE》中，我们讲到了"),
    ("变分自编码器(Variational Auto-Encoder,VAE)是", "变分自编码器（Variational Auto-Encoder，VAE）是"),
    ("von Mises–Fisher(vMF)分布", "von Mises–Fisher（vMF）分布"),
    ("真的吗?当然!比例为3:2,共1,000个", "真的吗？当然！比例为3:2，共1,000个"),
    ("其中$x,y$是向量,$f(x)$是函数", "其中$x,y$是向量，$f(x)$是函数"),
    ("见 https://kexue.fm/archives/8404,谢谢", "见 https://kexue.fm/archives/8404，谢谢"),
    ("Hello, world! (an English sentence: kept)", "Hello, world! (an English sentence: kept)"),
])
def test_marks_in_chinese_prose_become_full_width(scraped: str, shown: str) -> None:
    assert _text(scraped) == shown


def test_formulas_are_never_touched() -> None:
    inlines = restore_fullwidth([Text("设"), Math("f(x,y):A\\to B"), Text(",则")])
    assert inlines[1] == Math("f(x,y):A\\to B") and inlines[2] == Text("，则")


def test_the_vae_seven_page_reads_as_the_blog() -> None:
    book = load_book([ROOT / "sources"], load_config(ROOT / "kexue-book.yaml"), Reporter())
    (vae7,) = [a for a in book.articles if a.meta.title.startswith("变分自编码器（七）")]
    text = "".join(plain_text(b.inlines) for b in vae7.body if isinstance(b, Paragraph))
    assert "我们知道，VAE的训练目标是" in text


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS} (it lives in shared/)")
def test_seed_punctuation_agrees_with_the_blog(capsys) -> None:
    result = measure(ROOT / "sources", CORPUS)
    with capsys.disabled():
        print(f"\nseed/corpus punctuation: {result.agree}/{result.marks} marks agree "
              f"({result.share:.1%}) in {result.paragraphs} paragraphs")
    assert result.paragraphs >= 20 and result.marks >= 100
    assert result.differences == []
