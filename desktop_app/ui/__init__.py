"""Qt widgets. Talks to the engine only through the bridge; never imported by the engine."""
