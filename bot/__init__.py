"""Our extensions of Rasa: NLU components loaded by config.yml. Training data lives in bot/data."""
