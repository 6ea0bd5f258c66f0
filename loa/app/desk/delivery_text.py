"""Delivery details in the editor's language, without server paths (issue 14).

Channels record what a delivery did as one line of text (`deliveries.detail`, `last_error`),
written for logs and the CLI: "stations/xa-a.m3u8 (slot 2026-11-26 06:00, #1): plays
notice-3-v1-vi.mp3; not in tay: no human recording yet". The desk shows editors that line
translated here, at presentation, so stored rows and the CLI stay as they are. A detail is
split at "; " into clauses; each known clause has a Vietnamese form, an unknown one (an
exception's own words) is kept. Absolute server paths are cut to the file's name wherever
they appear, known clause or not: an editor needs "ban-tin.pdf", never the server's folders.

Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LANGUAGES = {"vi": "tiếng Việt", "tay": "tiếng Tày", "nung": "tiếng Nùng", "hmn": "tiếng H'Mông", "dao": "tiếng Dao"}
CAP_KINDS = {"Alert": "cảnh báo CAP", "Update": "cảnh báo CAP cập nhật", "Cancel": "cảnh báo CAP hủy"}

# "/var/lib/loa/print/xa-a/2026-W48.pdf" → "2026-W48.pdf"; not the path part of a URL ("https://h/a/b"),
# not an MQTT topic ("loa/notices/…"), which do not start with "/" after a space.
_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/;:,()'\"]+/)+([^\s/;:,()'\"]+)")


def _languages(codes: str) -> str:
    return ", ".join(LANGUAGES.get(c.strip(), c.strip()) for c in codes.split(","))


def _playlist(m: re.Match) -> str:
    out = f"danh sách phát của trạm {m['station']}"
    if m["slot"]:
        out += f" (buổi phát {m['slot']}, thứ tự {m['n']})"
    elif m["full"]:
        out += f" (buổi phát {m['full']} đã đủ thời lượng: chuyển sang buổi sau)"
    return f"{out}: {_clause(m['rest'])}"


_Rule = tuple[re.Pattern[str], Callable[[re.Match], str]]


def _rule(pattern: str, make: Callable[[re.Match], str]) -> _Rule:
    return re.compile(pattern + r"\Z"), make


_RULES: tuple[_Rule, ...] = (
    # radio
    _rule(
        r"stations/(?P<station>[\w.-]+)\.m3u8"
        r"(?: \(slot (?P<slot>[^,()]+), #(?P<n>\d+)\)| \(slot (?P<full>[^()]+?) is full: carried to the next slot\))?"
        r": (?P<rest>.+)",
        _playlist,
    ),
    _rule(r"plays (?P<files>.+)", lambda m: f"phát {m['files']}"),
    _rule(r"no audio in the station's languages", lambda m: "không có bài đọc bằng ngôn ngữ của trạm"),
    _rule(
        r"not in (?P<langs>.+): no human recording yet",
        lambda m: f"chưa có bản thu giọng người đọc {_languages(m['langs'])}",
    ),
    _rule(r"website audio not made: (?P<why>.+)", lambda m: f"chưa làm được bài đọc cho trang web: {m['why']}"),
    _rule(r"emergency command on (?P<topic>\S+)", lambda m: f"đã gửi lệnh phát khẩn cấp qua {m['topic']}"),
    _rule(
        r"emergency playlist built, command not sent: (?P<why>.+)",
        lambda m: f"đã lập danh sách phát khẩn cấp nhưng chưa gửi được lệnh phát: {m['why']}",
    ),
    _rule(
        r"notice (?P<id>\d+) removed \(station no longer configured\)",
        lambda m: f"đã gỡ thông báo {m['id']} (trạm không còn trong cấu hình)",
    ),
    _rule(
        r"notice (?P<id>\d+) removed from every future playlist",
        lambda m: f"đã gỡ thông báo {m['id']} khỏi mọi danh sách phát sắp tới",
    ),
    _rule(r"stop sent on (?P<topic>\S+)", lambda m: f"đã gửi lệnh dừng qua {m['topic']}"),
    _rule(
        r"playlists rebuilt, stop command not sent: (?P<why>.+)",
        lambda m: f"đã lập lại danh sách phát nhưng chưa gửi được lệnh dừng: {m['why']}",
    ),
    _rule(
        r"playlists for station (?P<station>\S+): (?P<why>.+)",
        lambda m: f"danh sách phát của trạm {m['station']}: {m['why']}",
    ),
    _rule(r"playlists: (?P<why>.+)", lambda m: f"danh sách phát: {m['why']}"),
    _rule(
        r"audio for notice (?P<id>\d+) v(?P<v>\d+): (?P<why>.+)",
        lambda m: f"bài đọc của thông báo {m['id']}, phiên bản {m['v']}: {m['why']}",
    ),
    # website
    _rule(
        r"(?P<url>\S+) \((?P<n>\d+) files written, (?P<same>\d+) unchanged\)",
        lambda m: f"{m['url']} (đã ghi {m['n']} tệp, {m['same']} tệp không đổi)",
    ),
    _rule(r"writing the website under .+ failed: (?P<why>.+)", lambda m: f"không ghi được trang web: {m['why']}"),
    _rule(r"check disk space and permissions", lambda m: "hãy kiểm tra dung lượng đĩa và quyền ghi tệp"),
    # print
    _rule(
        r"(?P<file>\S+): (?P<n>\d+) notice\(s\), (?P<p>\d+) page\(s\)",
        lambda m: f"bản tin {m['file']}: {m['n']} thông báo, {m['p']} trang",
    ),
    _rule(
        r"printed editions that carried it: (?P<list>.+) — take those copies down",
        lambda m: f"đã đăng trong các số bản tin in {m['list']}: hãy gỡ các bản đã dán, đã phát",
    ),
    _rule(r"no weekly edition carried it", lambda m: "chưa số bản tin tuần nào đăng thông báo này"),
    _rule(r"bulletin for (?P<area>\S+): (?P<why>.+)", lambda m: f"bản tin của {m['area']}: {m['why']}"),
    # boards
    _rule(r"(?P<topic>\S+): already expired, not sent", lambda m: f"{m['topic']}: đã hết hạn, không gửi"),
    _rule(r"the delivery stays pending and is retried", lambda m: "việc phát hành còn chờ và sẽ được thử lại"),
    # CAP
    _rule(
        r"(?P<kind>Alert|Update|Cancel) (?P<url>https?://\S+)",
        lambda m: f"{CAP_KINDS[m['kind']]} tại {m['url']}",
    ),
    _rule(r"writing (?P<file>\S+) failed: (?P<why>.+)", lambda m: f"không ghi được {m['file']}: {m['why']}"),
    # messaging, webhooks
    _rule(
        r"(?P<kind>\w+) to (?P<where>\S+) \(attempt (?P<a>\d+), (?P<n>\d+) characters\)",
        lambda m: f"{m['kind']} tới {m['where']} (lần thử {m['a']}, {m['n']} ký tự)",
    ),
    _rule(
        r"POST (?P<url>\S+) → (?P<code>\d+) \(attempt (?P<a>\d+)\)",
        lambda m: f"đã gửi tới {m['url']} → {m['code']} (lần thử {m['a']})",
    ),
    _rule(r"(?P<what>.+) after (?P<n>\d+) attempt\(s\)", lambda m: f"{m['what']} sau {m['n']} lần thử"),
)


def _clause(text: str) -> str:
    for pattern, make in _RULES:
        if m := pattern.match(text):
            return make(m)
    return text


def without_paths(text: str) -> str:
    """Each absolute server path cut to its last part, the file's name."""
    return _PATH.sub(r"\1", text)


def delivery_detail(text: str | None) -> str:
    """A delivery's detail or error as an editor reads it: Vietnamese where Loa wrote it, no server paths."""
    if not text:
        return ""
    return "; ".join(_clause(part) for part in without_paths(text).split("; "))
