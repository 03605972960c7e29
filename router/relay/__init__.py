"""Messages between customers (through Rasa) and agents (through our console)."""
