"""Reads of incidents and compliance reports: who may see which."""

from django.db.models import Q, QuerySet

from accounts.models import User
from audit.models import ComplianceReport, SecurityIncident


def incidents_visible_to(*, user: User) -> QuerySet[SecurityIncident]:
    """Staff see every incident; others the ones they reported."""
    incidents = SecurityIncident.objects.all()
    return incidents if user.is_admin else incidents.filter(reported_by=user)


def reports_visible_to(*, user: User) -> QuerySet[ComplianceReport]:
    """Staff see every report; others the ones they asked for or that are about them."""
    reports = ComplianceReport.objects.all()
    if user.is_admin:
        return reports
    return reports.filter(Q(requested_by=user) | Q(subject_user=user))
