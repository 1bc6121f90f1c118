"""complaints: models (built with its step; the app is wired and its pages show what is coming)."""
