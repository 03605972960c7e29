"""Handing a conversation to people: the packet, availability, and the queue in Redis."""
