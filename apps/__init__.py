"""The zoo-suite applications. Each depends on `zoo`, never on another app."""
