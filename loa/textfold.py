"""Diacritic-free lowercase text, for search and for matching Vietnamese names typed loosely."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase without diacritics ('Kế hoạch Đề án' → 'ke hoach de an'), for search."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())
