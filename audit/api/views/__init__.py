"""The engine's audit routes (``/audit/audit/...``) and DeFarm's additions to them."""
