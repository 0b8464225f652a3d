"""Packs for leaders: the brief, its drafted paragraph, Office and HTML writers, server-side images."""
