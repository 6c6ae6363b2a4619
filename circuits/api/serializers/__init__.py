"""The circuits API's representation: the earlier engine's shapes, field names and enum
spellings (see ``shared/spec/engine/CONTRACT.md`` §8.9-8.12)."""
