"""Where Loa's files live under LOA_HOME: one place, so channels, flows, the desk and the web server agree.

Channels do not reach into each other for file names: the website links the radio's audio through
`audio_file`, the boards link the website's page through `notice_page`, both from here.
"""

from __future__ import annotations

from pathlib import Path

from loa.model import NoticeView


class Layout:
    def __init__(self, home: Path):
        self.home = home

    # --- the public website (LOA_HOME/site, served at /) ---------------------------------------
    @property
    def site(self) -> Path:
        return self.home / "site"

    @property
    def bulletins(self) -> Path:
        """The printed bulletins' PDFs (site/print/<area>/…), linked from the area pages."""
        return self.site / "print"

    @property
    def site_memory(self) -> Path:
        """The website's private index: outside the served folder."""
        return self.home / "site-memory.sqlite3"

    # --- radio (LOA_HOME/radio, served at /radio) ----------------------------------------------
    @property
    def radio(self) -> Path:
        return self.home / "radio"

    @property
    def audio(self) -> Path:
        return self.radio / "audio"

    def audio_file(self, notice: NoticeView, language: str = "vi") -> Path:
        """A notice version's read-aloud audio, made with the stations.yaml defaults (loa.radio.audio)."""
        return self.audio / audio_name(notice.id, notice.version, language)

    def playlist(self, station_id: str) -> Path:
        """A station's next-slot playlist (and .xspf beside it)."""
        return self.radio / "stations" / f"{station_id}.m3u8"

    def emergency_playlist(self, station_id: str) -> Path:
        return self.radio / "stations" / station_id / "emergency.m3u8"

    @property
    def recordings(self) -> Path:
        """Human recordings uploaded on the desk: recordings/<notice id>/v<version>-<lang>.<ext>."""
        return self.radio / "recordings"

    def notice_recordings(self, notice_id: int) -> Path:
        return self.recordings / str(notice_id)

    @property
    def jingles(self) -> Path:
        return self.radio / "jingles"

    @property
    def segments(self) -> Path:
        """Programme segments (opening, bridge, closing) spoken once per text and voice (loa.radio.audio)."""
        return self.radio / "segments"

    # --- the site's entry page: a site exists once it is written -----------------------------------
    @property
    def site_index(self) -> Path:
        return self.site / "index.html"

    # --- Loa's own Mosquitto (loa/app/broker.py): its config, accounts and state -------------------
    @property
    def mosquitto(self) -> Path:
        return self.home / "mosquitto"

    @property
    def mosquitto_conf(self) -> Path:
        return self.mosquitto / "mosquitto.conf"

    @property
    def mosquitto_log(self) -> Path:
        return self.mosquitto / "mosquitto.log"

    @property
    def mosquitto_pid(self) -> Path:
        return self.mosquitto / "mosquitto.pid"

    @property
    def mosquitto_passwd(self) -> Path:
        """Salted hashes only (mosquitto_passwd)."""
        return self.mosquitto / "passwd"

    @property
    def mosquitto_acl(self) -> Path:
        return self.mosquitto / "acl"

    @property
    def mosquitto_data(self) -> Path:
        return self.mosquitto / "data"

    # --- `loa run` -----------------------------------------------------------------------------------
    @property
    def run_file(self) -> Path:
        """Where `loa run` leaves its URLs, so other `loa` commands use its Prefect server."""
        return self.home / "run.json"

    @property
    def prefect_home(self) -> Path:
        """PREFECT_HOME for the Prefect server `loa run` starts (its database, its settings)."""
        return self.home / "prefect"

    def log(self, name: str) -> Path:
        """The log of one of `loa run`'s processes (prefect-server, deployments, automations…)."""
        return self.logs / f"{name}.log"

    # --- private ---------------------------------------------------------------------------------
    @property
    def signing_key(self) -> Path:
        """The private key that signs board payloads and emergency commands."""
        return self.home / "keys" / "notice-signing.pem"

    @property
    def desk_audio(self) -> Path:
        """The desk's previews of read-aloud audio: never under the public /radio."""
        return self.home / "desk" / "audio"

    @property
    def public_key(self) -> Path:
        """The signing key's public half, published with the site for boards and CAP consumers."""
        return self.site / "keys" / "notices.json"

    def lock(self, name: str) -> Path:
        """The flock file that makes one writer at a time of a generated tree (loa.files.locked)."""
        return self.home / "locks" / f"{name}.lock"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def reports(self) -> Path:
        return self.home / "reports"


def notice_page(notice_id: int) -> str:
    """A notice's page, relative to the site root (and to site_url)."""
    return f"notices/{notice_id}.html"


def audio_name(notice_id: int, version: int, language: str = "vi") -> str:
    return f"notice-{notice_id}-v{version}-{language}.mp3"
