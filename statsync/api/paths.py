"""Where the Console API lives."""
API_PREFIX = "/console/v1"
DEFAULT_API_URL = "https://statsigapi.net"
API_VERSION = "20240601"
