"""A device's history, newest first: the one query of the boards' and speakers' status and ack tables (each
store module makes its own records of the rows: a board's are dataclasses, a speaker's JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from loa.store.schema import BoardAckRow, BoardStatusRow, SpeakerAckRow, SpeakerStatusRow

Row = TypeVar("Row", BoardStatusRow, BoardAckRow, SpeakerStatusRow, SpeakerAckRow)


def newest(
    s: Session, model: type[Row], of_device: ColumnElement[bool], at: InstrumentedAttribute[datetime], limit: int
) -> Sequence[Row]:
    """`limit` of one device's rows of `model`, latest `at` first (of rows with the same time, the later one)."""
    return s.scalars(select(model).where(of_device).order_by(at.desc(), model.id.desc()).limit(limit)).all()
