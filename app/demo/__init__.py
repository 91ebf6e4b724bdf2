"""The demo federation (`reciprocity demo load`)."""

from app.demo.service import load_demo

__all__ = ["load_demo"]
