"""Test helpers any app may import (pytest fixtures live in the modules below)."""
