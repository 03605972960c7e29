"""Evaluations of the frustration scorer against outside data (`python -m router.eval`)."""
