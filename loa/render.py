"""Render a document into one variant per channel (Jinja2).

HTML templates are autoescaped; text templates (board, radio) are not, since
escaping "&" to "&amp;" would corrupt a board line or a read-aloud script.
StrictUndefined turns a typo in a template into an error, not a blank.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import CodeType

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from loa.ingest.sanitize import html_to_text, sanitize_html
from loa.model import DocumentMeta
from loa.prose import Prose, prose, sentences
from loa.radio.facts import recap
from loa.radio.script import body_lines, meta_sentences, sentence

TEMPLATES = Path(__file__).resolve().parent / "templates"  # packaged with loa: a built wheel carries them

VI_MONTHS = [
    "tháng 1",
    "tháng 2",
    "tháng 3",
    "tháng 4",
    "tháng 5",
    "tháng 6",
    "tháng 7",
    "tháng 8",
    "tháng 9",
    "tháng 10",
    "tháng 11",
    "tháng 12",
]


def vi_date(value: datetime | str | None) -> str:
    """'ngày 23 tháng 4 năm 2018', the way Vietnamese documents write dates."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"ngày {value.day} {VI_MONTHS[value.month - 1]} năm {value.year}"


def vi_short_date(value: datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


class _CompiledTemplates(BytecodeCache):
    """The process's compiled templates, shared by every environment make_env builds. A process builds
    several (the renderer, the site build, the desk, board text; a test worker hundreds), and each one
    compiled every template it loaded again. Keyed by template path, checked against a hash of its
    source, so an edited or overriding template is compiled anew. Safe to share only because make_env
    builds every environment with the same settings."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str | None, CodeType | None]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


_COMPILED = _CompiledTemplates()


def make_env(folder: Path = TEMPLATES) -> Environment:
    env = Environment(
        bytecode_cache=_COMPILED,
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["vi_date"] = vi_date
    env.filters["vi_short_date"] = vi_short_date
    env.filters["safe_html"] = lambda html: Markup(sanitize_html(html or ""))
    env.filters["sentence"] = sentence
    return env


def board_gist(body: Prose, limit: int) -> str:
    """The board variant: the notice's prose (no tables, no link labels) as whole sentences within `limit`
    characters. Each board profile's template takes the sentences that fit its screen from it
    (loa.board_text); an editor may rewrite it on the desk."""
    out, used = [], -1
    for s in (s for block in body.blocks for s in sentences(sentence(block))):
        if used + 1 + len(s) > limit:
            break
        out.append(s)
        used += 1 + len(s)
    if not out and body.blocks:
        return truncate_words(body.blocks[0], limit)
    return " ".join(out)


def truncate_words(text: str, limit: int) -> str:
    """Cut at a word boundary so a board never shows half a word; '…' marks the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-–")
    return cut + "…"


class Renderer:
    """Turns a document into channel variants. One instance per process; templates are cached."""

    def __init__(self, *, board_max_chars: int, read_aloud=None, folder: Path = TEMPLATES):
        self.env = make_env(folder)
        self.board_max_chars = board_max_chars
        self.read_aloud = read_aloud or (lambda line: line)
        self._templates: dict = {}

    def variants(
        self,
        *,
        title: str,
        summary_html: str,
        meta: DocumentMeta,
        source_url: str | None,
        area_names: list[str],
        text: str | None = None,
        body_html: str = "",
        files: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """`text` is html_to_text(summary_html), when the caller has it already. `body_html` is the linked
        article's full text when the feed gave only a lead (`summary_html`): the website, radio and print
        carry both, the boards the lead alone. `files` are the văn bản's own files, linked on the web."""
        text = html_to_text(summary_html) if text is None else text
        body = prose(summary_html + body_html) if body_html else prose(summary_html)
        lead = prose(summary_html) if body_html else body  # boards carry the lead alone
        ctx = dict(
            title=title,
            summary_html=summary_html,
            text=text,
            meta=meta,
            source_url=source_url,
            areas=area_names,
            body_html=body_html,
            files=files,
            meta_lines=meta_sentences(meta, body.facts),
            body_lines=body_lines(title, body),
            recap=recap(title, body.text),
        )
        script = self._template("radio/script.txt").render(ctx)
        return {
            "website": self._template("website/variant.html").render(ctx),
            "boards": board_gist(lead, self.board_max_chars),
            "radio": "\n".join(self.read_aloud(line) for line in script.splitlines() if line.strip()),
            "print": self._template("print/variant.html").render(ctx),
        }

    def _template(self, name: str):
        # looked up once: Environment.get_template stats the file on every call to auto-reload it
        if name not in self._templates:
            self._templates[name] = self.env.get_template(name)
        return self._templates[name]
