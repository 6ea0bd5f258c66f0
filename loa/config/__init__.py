"""Settings from the environment plus the YAML files of the config folder, validated at start.

Environment (DESIGN §4): LOA_HOME, LOA_DATABASE_URL, LOA_MQTT_URL, LOA_CONFIG_DIR (default: the
config shipped in the package, loa/defaults/config). One module per file: loa.yaml (main), areas.yaml,
feeds.yaml, stations.yaml, boards.yaml, relevance.yaml, lexicon.yaml, mosquitto/. `load_config()` reads
them all once into a frozen Config; a bad value stops start-up with one line that names the file, the
key and what is wrong (ConfigError). Creating things (broker passwords) is `ensure_secrets`, at start.
"""

from loa.config.areas import Area, Grouping
from loa.config.env import PACKAGED_CONFIG, Env, MqttURL, embedded_password, ensure_secrets
from loa.config.feeds import FETCH_ARTICLE, Feed
from loa.config.load import load_config
from loa.config.main import (
    SLUG,
    MessagingDestination,
    OperationsSettings,
    Ports,
    PrintSettings,
    WebhookTarget,
    mask_url,
)
from loa.config.model import Config
from loa.config.start import start
from loa.config.stations import RadioSettings, Slot, Station

__all__ = [
    "FETCH_ARTICLE",
    "PACKAGED_CONFIG",
    "SLUG",
    "Area",
    "Config",
    "Env",
    "Feed",
    "Grouping",
    "MessagingDestination",
    "MqttURL",
    "OperationsSettings",
    "Ports",
    "PrintSettings",
    "RadioSettings",
    "Slot",
    "Station",
    "WebhookTarget",
    "embedded_password",
    "ensure_secrets",
    "load_config",
    "mask_url",
    "start",
]
