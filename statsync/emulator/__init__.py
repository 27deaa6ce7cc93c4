"""A Console API emulator: try statsync with no Statsig account, test hermetically."""
