"""How a notice's priority and disaster risk level become CAP urgency, severity and certainty, and back.

Decision 18/2021/QĐ-TTg grades natural-disaster risk in five levels (1 low … 5 disaster). Circular
39/2020/TT-BTTTT's "khẩn cấp" plays at once, so an emergency is Immediate; a "priority" notice is
Expected, unless its risk level is 4 or 5. Severity follows the level; with no level set, an
emergency is Severe and a priority notice Moderate. Certainty is Likely (a warning or forecast)
except at level 5, which is declared for a disaster that is happening (Observed). docs/cap.md shows
the whole table; tests check it against this code.
"""

from __future__ import annotations

import re
import unicodedata

from loa.model import Priority

LEVEL_SEVERITY = {1: "Minor", 2: "Moderate", 3: "Severe", 4: "Extreme", 5: "Extreme"}
LEVEL_PARAMETER = "VN-QD18-2021-CapDoRuiRoThienTai"  # the level, kept as a CAP <parameter>
PRIORITY_PARAMETER = "LOA-MucUuTien"  # Loa's priority (Circular 39/2020/TT-BTTTT)


def cap_levels(priority: Priority, disaster_level: int | None) -> tuple[str, str, str]:
    """(urgency, severity, certainty) for a notice of this priority and risk level (None: not set)."""
    if disaster_level is not None and not 1 <= disaster_level <= 5:
        raise ValueError(f"disaster risk level {disaster_level} is outside 1–5 (Decision 18/2021/QĐ-TTg)")
    emergency = priority == Priority.EMERGENCY
    urgency = "Immediate" if emergency or (disaster_level or 0) >= 4 else "Expected"
    if disaster_level is None:
        severity = "Severe" if emergency else "Moderate"
    else:
        severity = LEVEL_SEVERITY[disaster_level]
    certainty = "Observed" if disaster_level == 5 else "Likely"
    return urgency, severity, certainty


def priority_from_cap(urgency: str, severity: str) -> Priority:
    """A received alert's priority: emergency when it is Immediate, or Extreme/Severe and Expected;
    otherwise priority (an alert is never a normal notice)."""
    if urgency == "Immediate" or (urgency == "Expected" and severity in ("Extreme", "Severe")):
        return Priority.EMERGENCY
    return Priority.PRIORITY


# The CAP category and the event name from the words of the title, matched with their diacritics
# ("bão" is a storm, "báo" in "thông báo" is not). The first match wins.
_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("cháy rừng|cháy|hỏa hoạn", "Fire", "Cháy"),
    ("dịch bệnh|dịch|bệnh truyền nhiễm|ngộ độc", "Health", "Dịch bệnh"),
    ("lũ quét|sạt lở|sụt lún|động đất", "Geo", "Lũ quét, sạt lở đất"),
    (
        "bão|áp thấp nhiệt đới|mưa lớn|mưa đá|lũ|ngập|lốc|sét|rét đậm|rét hại|nắng nóng|hạn hán|sương muối",
        "Met",
        "Thiên tai khí tượng thủy văn",
    ),
    ("ô nhiễm|hóa chất", "Env", "Ô nhiễm môi trường"),
    ("vỡ đập|hồ chứa|mất điện|cấp nước", "Infra", "Hạ tầng"),
)


def category_and_event(title: str, priority: Priority) -> tuple[str, str]:
    words = " " + " ".join(re.findall(r"\w+", unicodedata.normalize("NFC", title).lower())) + " "
    for pattern, category, event in _EVENTS:
        if any(f" {p} " in words for p in pattern.split("|")):
            return category, event
    return "Safety", "Thông báo khẩn cấp" if priority == Priority.EMERGENCY else "Thông báo ưu tiên"
