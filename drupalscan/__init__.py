"""drupalscan: Drupal 7 migration readiness assessment for agencies."""

__version__ = "0.1.0"
