"""Rule files (TOML), shipped inside the package as drupalscan.checks."""
