"""statsync: declarative GitOps sync for Statsig feature gates, configs and experiments."""
__version__ = "0.1.0"
