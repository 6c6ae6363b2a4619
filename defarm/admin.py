"""The admin app configuration that installs DeFarm's admin site (``defarm.admin_site``).

Kept free of model imports: Django loads it while the app registry is being built.
"""

from django.contrib.admin.apps import AdminConfig


class DefarmAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``DefarmAdminSite`` as ``admin.site``."""

    default_site = "defarm.admin_site.DefarmAdminSite"
