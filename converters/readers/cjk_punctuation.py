"""The blog's full-width punctuation, restored in text from the plain-text scrapes.

The scrapes of the listing pages lost the full-width marks the blog prints: they read
`我们知道,VAE的训练目标是` where the blog has `我们知道，VAE的训练目标是`.  A half-width
`,` `:` `;` `?` `!` `(` `)` in Chinese prose becomes full-width; in numbers (`1,000`, `3:2`),
addresses, Latin sentences, formulas and code it stays (formulas, code and links are other
nodes and are never looked at).  What "Chinese prose" means was settled against the blog's own
text (the corpus holds full copies of several scraped paragraphs; tests/test_punctuation.py
measures the agreement):

* a mark is Chinese when the character right before it or right after it is Chinese (or a
  full-width mark), formulas being looked through; a space next to it makes it Latin;
* a `(` is Chinese when Chinese text stands before it, after it or after its `)`, and its
  `)` follows it; inside
  Chinese parentheses every mark is Chinese: `（Adversarial Autoencoders，AAE）`;
* a mark between two formulas with no letter on either side follows the paragraph: Chinese
  when the paragraph has Chinese text.
"""

from __future__ import annotations

from ..model import Inline, Text

HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_FULL_MARKS = set("，。：；？！（）、“”‘’《》「」『』…—～")
_NEUTRAL = "\0"  # where a formula or other non-text inline stands: looked through


def _is_cjk(ch: str) -> bool:
    if not ch:
        return False
    code = ord(ch)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF or ch in _FULL_MARKS


def _neighbour(chars: list[str], i: int, step: int) -> str:
    """The nearest character from `i` in direction `step`, looking through formulas; "" at the
    end of the paragraph.  A space is an answer: Chinese marks stand next to their words, a mark
    with a space beside it (`Hello, world`, `与 ![图]`) belongs to Latin text."""
    j = i + step
    while 0 <= j < len(chars):
        if chars[j] != _NEUTRAL:
            return chars[j]
        j += step
    return ""


def _closing(chars: list[str], i: int) -> int | None:
    """Where the `(` at `i` is closed."""
    depth = 0
    for j in range(i, len(chars)):
        if chars[j] == "(":
            depth += 1
        elif chars[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


def _decide(chars: list[str], paragraph_is_cjk: bool) -> list[str]:
    out = list(chars)
    stack: list[bool] = []  # for each open `(`: was it made full-width?
    for i, ch in enumerate(chars):
        if ch not in HALF_TO_FULL:
            continue
        # Before: what was already decided (`（五）:` follows a full-width bracket); after: the text.
        before, after = _neighbour(out, i, -1), _neighbour(chars, i, 1)
        if ch == ")":
            full = stack.pop() if stack else _is_cjk(before) or _is_cjk(after)
        elif ch in ",:" and before.isdigit() and after.isdigit() and chars[i - 1].isdigit() and \
                i + 1 < len(chars) and chars[i + 1].isdigit():
            full = False  # 1,000 and 3:2
        elif ch == ":" and chars[i + 1:i + 3] == ["/", "/"]:
            full = False  # an address written in the text
        else:
            inside = bool(stack) and stack[-1]
            if before or after:
                full = inside or _is_cjk(before) or _is_cjk(after)
            else:
                full = inside or paragraph_is_cjk
            if ch == "(":
                # `Mises–Fisher(vMF)分布`: Chinese text right after the closing bracket counts too.
                close = _closing(chars, i)
                full = full or (close is not None and _is_cjk(_neighbour(chars, close, 1)))
                stack.append(full)
        if full:
            out[i] = HALF_TO_FULL[ch]
    return out


def restore_fullwidth(inlines: list[Inline]) -> list[Inline]:
    """The inlines of one paragraph of scraped text, with the blog's full-width marks."""
    chars: list[str] = []
    spans: list[tuple[int, int] | None] = []  # per inline: where its characters stand in `chars`
    for node in inlines:
        if isinstance(node, Text):
            spans.append((len(chars), len(chars) + len(node.text)))
            chars.extend(node.text)
        else:
            spans.append(None)
            chars.append(_NEUTRAL)
    if not any(ch in HALF_TO_FULL for ch in chars):
        return inlines
    decided = _decide(chars, any(_is_cjk(ch) for ch in chars))
    out: list[Inline] = []
    for node, span in zip(inlines, spans):
        out.append(Text("".join(decided[span[0]:span[1]])) if span is not None else node)
    return out
