"""English and Simplified Chinese at the schema edge (gettext catalogs read with Babel)."""
