"""The assistant's own Rasa NLU components (named in config.yml by their import path)."""
